import { describe, expect, it } from 'vitest';
import { parsePolicy, policySize } from '../../src/core/policy/document.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012:topic/a';
const stmt = (extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action: 'iot:Publish', Resource: ARN, ...extra });
const doc = (...statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });
const messages = (input: string | object) => parsePolicy(input).errors.map((e) => e.message);

describe('parsePolicy: valid documents', () => {
  it.each([
    ['one statement object', { Version: '2012-10-17', Statement: stmt() }],
    ['a statement array', doc(stmt(), stmt({ Effect: 'Deny' }))],
    ['Action and Resource arrays', doc(stmt({ Action: ['iot:Publish', 'iot:Receive'], Resource: [ARN, '*'] }))],
    ['NotAction', doc({ Effect: 'Deny', NotAction: 'iot:Connect', Resource: '*' })],
    ['NotResource', doc({ Effect: 'Allow', Action: 'iot:Receive', NotResource: ARN })],
    ['wildcard actions', doc(stmt({ Action: ['*', 'iot:*', 'iot:Get*', 'iot:?ublish'] }))],
    ['a Sid and an Id', { Version: '2012-10-17', Id: 'x', Statement: [stmt({ Sid: 'One' })] }],
    ['conditions of every family', doc(stmt({ Condition: { Bool: { 'iot:Connection.Thing.IsAttached': true }, IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] }, NumericLessThan: { 'x:n': 5 }, 'ForAnyValue:StringLike': { 'iot:Certificate.Subject.OrganizationalUnit.List': 'eng*' }, 'StringEqualsIfExists': { 'iot:ClientId': 'a' }, Null: { 'iot:ClientId': 'false' }, ArnLike: { 'x:arn': 'arn:aws:iot:*:*:thing/*' } } }))],
    ['the old version', { Version: '2008-10-17', Statement: stmt() }],
  ])('%s', (_name, input) => {
    const parsed = parsePolicy(input);
    expect(parsed.errors).toEqual([]);
    expect(parsed.statements.length).toBeGreaterThan(0);
  });

  it('normalizes statements', () => {
    const parsed = parsePolicy(doc(stmt({ Sid: 'S' }), { Effect: 'Deny', NotAction: ['iot:Connect'], NotResource: ARN, Condition: { StringEquals: { 'iot:ClientId': ['a', 'b'] } } }));
    expect(parsed.statements[0]).toMatchObject({ index: 0, path: 'Statement[0]', sid: 'S', effect: 'Allow', actions: ['iot:Publish'], notAction: false, resources: [ARN], notResource: false });
    expect(parsed.statements[1]).toMatchObject({ index: 1, effect: 'Deny', notAction: true, notResource: true, conditions: [{ operator: 'StringEquals', key: 'iot:ClientId', values: ['a', 'b'] }] });
    expect(parsed.substitutesVariables).toBe(true);
  });

  it('resolves variables only with Version 2012-10-17', () => {
    expect(parsePolicy({ Statement: stmt() }).substitutesVariables).toBe(false);
    expect(parsePolicy({ Version: '2008-10-17', Statement: stmt() }).substitutesVariables).toBe(false);
  });
});

describe('parsePolicy: precise errors', () => {
  it.each([
    ['bad effect', doc(stmt(), stmt(), stmt({ Effect: 'allow' })), 'Statement[2].Effect must be Allow or Deny, not "allow"'],
    ['missing effect', doc({ Action: 'iot:Publish', Resource: ARN }), 'Statement[0].Effect is missing; it must be Allow or Deny'],
    ['single statement path', { Version: '2012-10-17', Statement: stmt({ Effect: 'Permit' }) }, 'Statement.Effect must be Allow or Deny, not "Permit"'],
    ['no action', doc({ Effect: 'Allow', Resource: ARN }), 'Statement[0] needs Action (or NotAction)'],
    ['no resource', doc({ Effect: 'Allow', Action: 'iot:Publish' }), 'Statement[0] needs Resource (or NotResource)'],
    ['both Action and NotAction', doc(stmt({ NotAction: 'iot:Connect' })), 'Statement[0] has both Action and NotAction; use one'],
    ['both Resource and NotResource', doc(stmt({ NotResource: ARN })), 'Statement[0] has both Resource and NotResource; use one'],
    ['bad action', doc(stmt({ Action: ['iot:Publish', 'Publish'] })), 'Statement[0].Action[1] "Publish" is not an action; write service:Action, e.g. iot:Publish, iot:* or *'],
    ['empty action list', doc(stmt({ Action: [] })), 'Statement[0].Action must not be an empty list; give at least one action'],
    ['non-string action', doc(stmt({ Action: [7] })), 'Statement[0].Action[0] must be a string (action), not 7'],
    ['bare topic resource', doc(stmt({ Resource: 'topic/a/b' })), 'Statement[0].Resource "topic/a/b" is not an ARN or "*"; write e.g. arn:aws:iot:<region>:<account>:topic/a/b'],
    ['short ARN', doc(stmt({ Resource: ['arn:aws:iot:topic/a'] })), 'Statement[0].Resource[0] "arn:aws:iot:topic/a" is not a complete ARN; the form is arn:<partition>:<service>:<region>:<account>:<resource>'],
    ['empty resource', doc(stmt({ Resource: '' })), 'Statement[0].Resource must not be empty'],
    ['unknown element', doc(stmt({ Efect: 'Allow' })), 'Statement[0].Efect is not a statement element (known: Sid, Effect, Action, NotAction, Resource, NotResource, Condition)'],
    ['miscased element', doc(stmt({ resource: ARN })), 'Statement[0].resource is not a statement element (did you mean Resource?)'],
    ['principal', doc(stmt({ Principal: '*' })), 'Statement[0].Principal is not allowed: the principal is whoever the policy is attached to'],
    ['bad version', { Version: '2012-10-18', Statement: stmt() }, 'Version must be "2012-10-17" (or the old "2008-10-17"), not "2012-10-18"'],
    ['no statement', { Version: '2012-10-17' }, 'Statement is missing; a policy needs at least one statement'],
    ['empty statement list', { Version: '2012-10-17', Statement: [] }, 'Statement must not be an empty list'],
    ['unknown top-level element', { Version: '2012-10-17', Statement: stmt(), Extra: 1 }, 'Extra is not a top-level policy element (known: Version, Id, Statement)'],
    ['statement not an object', doc('x'), 'Statement[0] must be an object with Effect, Action and Resource'],
    ['not an object', [], 'The policy must be a JSON object with Version and Statement.'],
    ['duplicate Sid', doc(stmt({ Sid: 'A' }), stmt({ Sid: 'A' })), 'Statement[1].Sid "A" is already used by Statement[0]; Sids must be unique'],
    ['unknown operator', doc(stmt({ Condition: { StringEqual: { 'iot:ClientId': 'a' } } })), 'Statement[0].Condition has unknown condition operator "StringEqual"'],
    ['miscased operator', doc(stmt({ Condition: { stringequals: { 'iot:ClientId': 'a' } } })), 'Statement[0].Condition has unknown condition operator "stringequals" (did you mean StringEquals?)'],
    ['Null with IfExists', doc(stmt({ Condition: { NullIfExists: { 'iot:ClientId': 'true' } } })), 'Statement[0].Condition has "NullIfExists": Null takes no ForAnyValue:/ForAllValues: prefix and no IfExists suffix'],
    ['bad Bool value', doc(stmt({ Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'yes' } } })), 'Statement[0].Condition.Bool["iot:Connection.Thing.IsAttached"] is invalid: Bool takes "true" or "false", not "yes"'],
    ['bad CIDR', doc(stmt({ Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '10.0.0.0/40'] } } })), 'Statement[0].Condition.IpAddress["aws:SourceIp"][1] is invalid: "10.0.0.0/40" is not an IPv4 or IPv6 address or CIDR block (e.g. 203.0.113.0/24, 2001:db8::/32)'],
    ['bad number', doc(stmt({ Condition: { NumericEquals: { 'x:n': 'five' } } })), 'Statement[0].Condition.NumericEquals["x:n"] is invalid: NumericEquals takes a number, not "five"'],
    ['condition not an object', doc(stmt({ Condition: 'x' })), 'Statement[0].Condition must be an object of operators, e.g. {"StringEquals": {"iot:ClientId": "dev1"}}'],
    ['empty condition block', doc(stmt({ Condition: { StringEquals: {} } })), 'Statement[0].Condition.StringEquals must be a non-empty object of condition keys to values'],
    ['object condition value', doc(stmt({ Condition: { StringEquals: { 'iot:ClientId': { a: 1 } } } })), 'Statement[0].Condition.StringEquals["iot:ClientId"] must be a string, number or boolean, not {"a":1}'],
  ])('%s', (_name, input, message) => {
    expect(messages(input as object)).toContain(message);
  });

  it('an operator AWS accepts but the evaluator cannot evaluate is not an error: it is listed as unsupported, and the statement knows', () => {
    const parsed = parsePolicy(doc(stmt({ Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01' } } })));
    expect(parsed.errors).toEqual([]);
    expect(parsed.unsupported.map((p) => p.message)).toEqual([`Statement[0].Condition has the condition operator "DateLessThan", which is valid IAM but not supported by iotctl's evaluator`]);
    expect(parsed.statements[0]!.problems).toEqual(parsed.unsupported);
  });

  it.each([
    ['{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}', 'unexpected ",]\\n}" at line 3, column 17'],
    ['{"Version": "2012-10-17",}', 'unexpected "}" at line 1, column 26'],
    ["{'Version': 1}", `unexpected "'Version': 1" at line 1, column 2`],
    ['{"Statement": [{"Effect": "Allow"}', 'it ends too early (line 1, column 35)'],
    ['{"a": 1} x', 'unexpected "x" at line 1, column 10'],
  ])('reports invalid JSON with line and column: %j', (text, where) => {
    expect(messages(text)).toEqual([`The policy is not valid JSON: ${where}`]);
  });

  it('reports an empty document', () => {
    expect(messages('  \n')).toEqual(['The policy document is empty.']);
  });

  it('reports every problem, not just the first', () => {
    expect(messages(doc({ Effect: 'Maybe' }, stmt({ Resource: 'x' }))).length).toBe(4);
  });
});

describe('size limit: 2,048 characters excluding whitespace', () => {
  const padded = (length: number) => {
    const base = JSON.stringify(doc(stmt({ Sid: '' })));
    return JSON.stringify(doc(stmt({ Sid: 'x'.repeat(length - base.length) })));
  };

  it('counts characters without whitespace', () => {
    expect(policySize('{ "a" :\n\t"b c" }')).toBe(10);
  });

  it.each([
    [2048, true],
    [2049, false],
  ])('%i characters: valid %s', (size, valid) => {
    const text = padded(size);
    expect(policySize(text)).toBe(size);
    const parsed = parsePolicy(text);
    expect(parsed.errors.length === 0).toBe(valid);
    if (!valid) expect(parsed.errors[0]!.message).toBe(`The policy is ${size} characters long without whitespace; AWS IoT allows at most 2048.`);
  });

  it('whitespace does not count', () => {
    const text = JSON.stringify(JSON.parse(padded(2048)), null, 8);
    expect(text.length).toBeGreaterThan(2100);
    expect(parsePolicy(text).errors).toEqual([]);
  });

  it('IAM role policies have a larger limit', () => {
    expect(parsePolicy(padded(3000), { kind: 'iam' }).errors).toEqual([]);
    expect(parsePolicy(padded(3000)).errors[0]!.code).toBe('POLICY_TOO_LARGE');
  });
});

describe('problem paths point at the offending item', () => {
  it('counts items by their own index, past invalid ones', () => {
    const parsed = parsePolicy(doc(stmt({ Action: [7, 'Publish'], Resource: [ARN, 9, 'topic/x'] })));
    expect(parsed.errors.map((e) => e.path)).toEqual(['Statement[0].Action[0]', 'Statement[0].Action[1]', 'Statement[0].Resource[1]', 'Statement[0].Resource[2]']);
  });
});
