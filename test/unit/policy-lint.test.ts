import { describe, expect, it } from 'vitest';
import { lintPolicy, parsePolicy } from '../../src/core/policy/index.js';
import { allow, anyArn, deny, type Statement } from '../helpers/policy.js';

const lint = (...statements: Statement[]) => lintPolicy(parsePolicy({ Version: '2012-10-17', Statement: statements }));
const codes = (...statements: Statement[]) => lint(...statements).map((w) => w.code);
/** Allow Subscribe and Receive together, so SUBSCRIBE_WITHOUT_RECEIVE stays out of the way. */
const receive = allow('iot:Receive', anyArn('topic/ok/*'));

describe('lint', () => {
  it.each<[string, Statement[], string[]]>([
    ['a tight policy is clean', [allow('iot:Connect', anyArn('client/${iot:Connection.Thing.ThingName}')), allow('iot:Publish', anyArn('topic/t/${iot:Connection.Thing.ThingName}'))], ['THING_VARIABLE']],
    ['iot:*', [allow('iot:*', anyArn('topic/a'))], ['ACTION_WILDCARD']],
    ['*', [allow('*', anyArn('topic/a'))], ['ACTION_WILDCARD']],
    ['iot:* in a Deny is fine', [deny('iot:*', anyArn('topic/a'))], []],
    ['Resource *', [allow('iot:Publish', '*')], ['RESOURCE_WILDCARD']],
    ['Resource * for ListRetainedMessages is required', [allow('iot:ListRetainedMessages', '*')], []],
    ['Subscribe on topic/', [allow('iot:Subscribe', anyArn('topic/a/*')), receive], ['WRONG_RESOURCE_TYPE']],
    ['Publish on topicfilter/', [allow('iot:Publish', anyArn('topicfilter/a/*'))], ['WRONG_RESOURCE_TYPE']],
    ['Receive on topicfilter/', [allow('iot:Receive', anyArn('topicfilter/a/*'))], ['WRONG_RESOURCE_TYPE']],
    ['Connect on topic/', [allow('iot:Connect', anyArn('topic/a'))], ['WRONG_RESOURCE_TYPE']],
    ['mixed types in one statement are fine', [allow(['iot:Publish', 'iot:Subscribe', 'iot:Receive'], [anyArn('topic/a/*'), anyArn('topicfilter/a/*')])], []],
    ['+ in a topic is literal', [allow('iot:Publish', anyArn('topic/a/+/b'))], ['MQTT_WILDCARD_LITERAL']],
    ['# in a topic filter is literal', [allow('iot:Subscribe', anyArn('topicfilter/a/#')), receive], ['MQTT_WILDCARD_LITERAL']],
    ['Subscribe without Receive', [allow('iot:Subscribe', anyArn('topicfilter/a/*'))], ['SUBSCRIBE_WITHOUT_RECEIVE']],
    ['Subscribe with Receive through iot:*', [allow('iot:Subscribe', anyArn('topicfilter/a/*')), allow('iot:*', anyArn('topic/a/*'))], ['ACTION_WILDCARD']],
    ['RetainPublish without Publish', [allow('iot:RetainPublish', anyArn('topic/a'))], ['RETAIN_WITHOUT_PUBLISH']],
    ['Connect on client/*', [allow('iot:Connect', anyArn('client/*'))], ['CONNECT_ANY_CLIENT']],
    ['Connect on arn:aws:iot:*:*:*', [allow('iot:Connect', 'arn:aws:iot:*:*:*')], ['CONNECT_ANY_CLIENT']],
    ['Connect on a client prefix is fine', [allow('iot:Connect', anyArn('client/sensor-*'))], []],
    ['Connect through Resource *', [allow('iot:Connect', '*')], ['RESOURCE_WILDCARD', 'CONNECT_ANY_CLIENT']],
    ['misspelt action', [allow('iot:Publsh', anyArn('topic/a'))], ['UNKNOWN_ACTION']],
    ['a wildcard action matching nothing', [allow('iot:Pub*x', anyArn('topic/a'))], ['UNKNOWN_ACTION']],
    ['another service', [allow('s3:GetObject', anyArn('topic/a'))], ['NOT_AN_IOT_ACTION']],
    ['unknown variable', [allow('iot:Publish', anyArn('topic/${iot:Thing.ThingName}'))], ['UNKNOWN_VARIABLE']],
    ['.List in a resource', [allow('iot:Publish', anyArn('topic/${iot:Certificate.Subject.OrganizationalUnit.List}'))], ['LIST_VARIABLE_IN_RESOURCE']],
    ['ForAllValues in an Allow', [allow('iot:Publish', anyArn('topic/a'), { Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': 'LastWill' } } })], ['FORALLVALUES_MISSING_KEY']],
    ['Allow with NotAction', [{ Effect: 'Allow', NotAction: 'iot:Connect', Resource: anyArn('topic/a') }], ['ALLOW_NOT_ACTION']],
    ['Allow with NotResource', [{ Effect: 'Allow', Action: 'iot:Receive', NotResource: anyArn('topic/a/*') }], ['ALLOW_NOT_RESOURCE']],
  ])('%s', (_name, statements, expected) => {
    expect(codes(...statements)).toEqual(expected);
  });

  it('explains Subscribe on a topic/ ARN and suggests the fix', () => {
    const [w] = lint(allow('iot:Subscribe', 'arn:aws:iot:us-east-1:123456789012:topic/a/*'), receive);
    expect(w).toEqual({
      code: 'WRONG_RESOURCE_TYPE',
      severity: 'warning',
      path: 'Statement[0].Resource',
      message:
        'iot:Subscribe is checked against topicfilter/ ARNs (a topic filter as sent in SUBSCRIBE), but this statement names only topic/ resources, so it never grants iot:Subscribe; use e.g. arn:aws:iot:us-east-1:123456789012:topicfilter/a/*',
    });
  });

  it('explains why + and # are literal', () => {
    const [w] = lint(allow('iot:Publish', [anyArn('topic/ok'), anyArn('topic/a/#')]));
    expect(w!.path).toBe('Statement[0].Resource[1]');
    expect(w!.message).toMatch(/^"\+" and "#" are literal characters in policy resources, not MQTT wildcards/);
    expect(w!.message).toContain('use * (any characters, / included) or ? (one character)');
  });

  it('notes that thing variables need an attached thing', () => {
    const [w] = lint(allow('iot:Connect', anyArn('client/${iot:Connection.Thing.ThingName}')));
    expect(w!.severity).toBe('note');
    expect(w!.message).toContain('has a value only when a thing is attached to the principal');
  });

  it('suggests the right action name', () => {
    expect(lint(allow('iot:Subscibe', anyArn('topicfilter/a')))[0]!.message).toBe('"iot:Subscibe" is not an action AWS IoT checks; did you mean iot:Subscribe?');
  });

  it('warns that variables need Version 2012-10-17', () => {
    const warnings = lintPolicy(parsePolicy({ Statement: allow('iot:Publish', anyArn('topic/${iot:ClientId}')) }));
    expect(warnings.map((w) => w.code)).toEqual(['VARIABLES_NEED_VERSION', 'NO_VERSION']);
  });

  it('skips IoT resource rules for IAM role policies', () => {
    expect(lintPolicy(parsePolicy({ Version: '2012-10-17', Statement: allow('iot:Connect', '*') }, { kind: 'iam' }), { kind: 'iam' })).toEqual([]);
  });
});
