import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, spawnCli, testEnv } from '../helpers/cli.js';

const CERT = path.join(ROOT, 'test/fixtures/policy/lamp-1.cert.pem');
let dir: string;
const file = (name: string) => path.join(dir, name);
const write = (name: string, content: unknown) => {
  writeFileSync(file(name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file(name);
};
const json = (text: string) => JSON.parse(text) as Record<string, any>;
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-policy-'));
  const rendered = await runCli(['policy', 'render', 'home', '--param', 'homeId=123_aws_ave', '--out', file('home.json')]);
  expect(rendered.code).toBe(0);
  await runCli(['policy', 'render', 'home', '--param', 'homeId=456_iot_ln', '--out', file('chuck.json')]);
  await runCli(['policy', 'render', 'device', '--out', file('device.json')]);
  write('deny.json', { Version: '2012-10-17', Statement: [{ Sid: 'NoDoors', Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/home/*/door_*/*' }] });
  write('cn.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/cn/${iot:Certificate.Subject.CommonName}/${iot:Certificate.Subject.OrganizationalUnit.1}' }] });
});

describe('iotctl policy --help', () => {
  it('lists the verbs with examples', async () => {
    const r = await runCli(['policy', '--help']);
    expect(r.code).toBe(0);
    for (const verb of ['templates', 'render', 'validate', 'test', 'explain']) expect(r.stdout).toContain(verb);
    expect(r.stdout).toContain('$ iotctl policy render home --param homeId=123_aws_ave > home.json');
  });

  it.each(['templates', 'render', 'validate', 'test', 'explain'])('policy %s --help has examples', async (verb) => {
    const r = await runCli(['policy', verb, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--json');
  });
});

describe('iotctl policy templates', () => {
  it('lists templates and their parameters', async () => {
    const r = await runCli(['policy', 'templates']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^home {2}Everyone in one home/m);
    expect(r.stdout).toContain('homeId  the home\'s id');
    expect(r.stdout).toContain('(required)');
  });

  it('--json gives names, descriptions and parameters', async () => {
    const r = await runCli(['policy', 'templates', '--json']);
    const out = json(r.stdout);
    expect(out.templates.map((t: { name: string }) => t.name)).toEqual(['cognito-user', 'device', 'home', 'http-device', 'read-only', 'shadow', 'web-user']);
    const home = out.templates.find((t: { name: string }) => t.name === 'home');
    expect(home.parameters).toContainEqual({ name: 'homeId', description: expect.any(String), required: true, pattern: '[A-Za-z0-9_.:-]{1,64}', default: null, builtin: false });
    expect(home.parameters).toContainEqual(expect.objectContaining({ name: 'region', default: '*', builtin: true }));
  });
});

describe('iotctl policy render', () => {
  it('prints the policy document', async () => {
    const r = await runCli(['policy', 'render', 'home', '--param', 'homeId=123_aws_ave', '--param', 'region=us-east-1', '--param', 'account=123456789012']);
    expect(r.code).toBe(0);
    const doc = json(r.stdout);
    expect(doc.Statement[1].Resource).toBe('arn:aws:iot:us-east-1:123456789012:topicfilter/home/123_aws_ave/*');
    expect(r.stderr).toBe('');
  });

  it('--json wraps the document with its parameters and size', async () => {
    const out = json((await runCli(['policy', 'render', 'device', '--json'])).stdout);
    expect(Object.keys(out)).toEqual(['template', 'parameters', 'size', 'maxSize', 'file', 'document']);
    expect(out.parameters).toEqual({ prefix: 'things', region: '*', account: '*' });
    expect(out.maxSize).toBe(2048);
  });

  it('--out writes the file and will not overwrite it without --force', async () => {
    const target = file('out.json');
    const first = await runCli(['policy', 'render', 'shadow', '--out', target]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^wrote .*out\.json \(shadow, \d+ of 2048 characters\)/);
    expect(json(readFileSync(target, 'utf8')).Version).toBe('2012-10-17');
    const second = await runCli(['policy', 'render', 'shadow', '--out', target]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('already exists');
    expect((await runCli(['policy', 'render', 'shadow', '--out', target, '--force'])).code).toBe(0);
  });

  it.each([
    [['home'], 'error: The template "home" needs the parameter "homeId"', 'hint: pass --param homeId=<value>'],
    [['home', '--param', 'homeId=a/b'], 'error: The value "a/b" for "homeId" does not match', 'hint: homeId: the home\'s id'],
    [['home', '--param', 'homeId'], 'error: --param expects key=value, got "homeId".', 'hint: e.g. --param homeId=123_aws_ave'],
    [['nope'], 'error: There is no policy template "nope".', 'hint: templates: cognito-user, device, home, http-device, read-only, shadow'],
  ])('usage errors: %j', async (args, error, hint) => {
    const r = await runCli(['policy', 'render', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(error);
    expect(r.stderr).toContain(hint);
    noStack(r.stderr);
  });
});

describe('iotctl policy validate', () => {
  it('accepts a valid policy', async () => {
    const r = await runCli(['policy', 'validate', file('home.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/home\.json: valid: 3 statements, \d+ of 2048 characters, 0 warnings$/);
  });

  it('prints warnings and still exits 0', async () => {
    const f = write('wide.json', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:*', Resource: '*' } });
    const r = await runCli(['policy', 'validate', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning: Statement.Action: "iot:*" allows every AWS IoT action');
    expect(r.stdout).toContain('warning: Statement.Resource: "*" allows the actions on every client id');
    expect(r.stdout).toMatch(/valid: 1 statement, \d+ of 2048 characters, 3 warnings/);
  });

  it('lists every error and exits 2', async () => {
    const f = write('bad.json', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/a' }, { Effect: 'Maybe', Action: 'iot:Publish', Resource: '*' }] });
    const r = await runCli(['policy', 'validate', f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('error: Statement[0].Resource "topic/a" is not an ARN or "*"; write e.g. arn:aws:iot:<region>:<account>:topic/a');
    expect(r.stdout).toContain('error: Statement[1].Effect must be Allow or Deny, not "Maybe"');
    expect(r.stdout).toMatch(/bad\.json: invalid: 2 errors/);
  });

  it('reports the size limit with the count', async () => {
    const resources = Array.from({ length: 40 }, (_, i) => `arn:aws:iot:us-east-1:123456789012:topic/some/long/topic/name/${i}`);
    const f = write('big.json', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Publish', Resource: resources } });
    const r = await runCli(['policy', 'validate', f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/error: The policy is \d{4} characters long without whitespace; AWS IoT allows at most 2048\./);
  });

  it('reads stdin with -', async () => {
    const r = await runCli(['policy', 'validate', '-'], { stdin: readFileSync(file('home.json'), 'utf8') });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^stdin: valid/m);
  });

  it('points at broken JSON', async () => {
    const r = await runCli(['policy', 'validate', '-'], { stdin: '{"Version": "2012-10-17",\n "Statement": [}' });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('error: The policy is not valid JSON: unexpected "}" at line 2, column 16');
    noStack(r.stdout + r.stderr);
  });

  it('--json is a stable report', async () => {
    const r = await runCli(['policy', 'validate', file('device.json'), '--json']);
    const out = json(r.stdout);
    expect(Object.keys(out)).toEqual(['file', 'kind', 'valid', 'size', 'maxSize', 'statements', 'errors', 'warnings']);
    expect(out).toMatchObject({ kind: 'iot', valid: true, statements: 4, errors: [] });
    expect(out.warnings).toEqual([expect.objectContaining({ code: 'THING_VARIABLE', severity: 'note', path: 'Statement[0].Resource[0]' })]);
  });

  it('refuses to wait for a policy on a terminal', async () => {
    const r = await runCli(['policy', 'validate', '-'], { tty: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Reading the policy from stdin ("-"), but stdin is a terminal.');
  });

  it('a missing file is a usage error', async () => {
    const r = await runCli(['policy', 'validate', file('missing.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing.json does not exist');
  });

  it('--iam checks an IAM role policy', async () => {
    const f = write('role.json', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Connect', Resource: '*' } });
    const out = json((await runCli(['policy', 'validate', f, '--iam', '--json'])).stdout);
    expect(out).toMatchObject({ kind: 'iam', valid: true, maxSize: 6144, warnings: [] });
  });
});

describe('iotctl policy test', () => {
  const test = (...args: string[]) => runCli(['policy', 'test', ...args]);

  it('Alice may publish to her home: exit 0 with the deciding statement', async () => {
    const r = await test('-f', file('home.json'), '--action', 'iot:Publish', '--resource', 'home/123_aws_ave/door_1/open', '--client-id', '123_aws_ave-alice');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('ALLOWED  iot:Publish on arn:aws:iot:us-east-1:123456789012:topic/home/123_aws_ave/door_1/open');
    expect(lines[1]).toBe(`  allowed by ${file('home.json')}, Statement[2] "PublishAndReceiveHomeTopics"`);
    expect(lines[2]).toBe(`  ${file('home.json')}, Statement[2] "PublishAndReceiveHomeTopics": Allow`);
    expect(lines[3]).toContain('{"Sid":"PublishAndReceiveHomeTopics","Effect":"Allow","Action":["iot:Publish","iot:Receive"]');
    expect(lines[4]).toBe('      matched arn:aws:iot:*:*:topic/home/123_aws_ave/*');
  });

  it('Chuck may not subscribe to home/123_aws_ave/#: exit 3', async () => {
    const r = await test('-f', file('chuck.json'), '--action', 'iot:Subscribe', '--resource', 'home/123_aws_ave/#');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^DENIED \(implicit deny: no statement allows it\) {2}iot:Subscribe on arn:aws:iot:us-east-1:123456789012:topicfilter\/home\/123_aws_ave\/#/);
    expect(r.stderr).toBe('');
  });

  it('an explicit deny in another policy wins', async () => {
    const r = await test('-f', file('home.json'), '-f', file('deny.json'), '--action', 'iot:Publish', '--resource', 'home/123_aws_ave/door_1/open');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('DENIED (explicit deny)');
    expect(r.stdout).toContain(`\n  explicitly denied by ${file('deny.json')}, Statement[0] "NoDoors"\n`);
  });

  it('says which variable is missing and which flag gives it', async () => {
    const r = await test('-f', file('device.json'), '--action', 'iot:Publish', '--resource', 'things/lamp-1/state');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('missing: ${iot:Connection.Thing.ThingName} has no value: pass --thing');
    const ok = await test('-f', file('device.json'), '--action', 'iot:Publish', '--resource', 'things/lamp-1/state', '--thing', 'lamp-1');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('matched arn:aws:iot:*:*:topic/things/lamp-1/*');
    expect(ok.stdout).toContain('as client id lamp-1, thing lamp-1');
  });

  it('--json is a stable machine-readable object', async () => {
    const r = await test('-f', file('home.json'), '--action', 'Subscribe', '--resource', 'home/123_aws_ave/#', '--json', '--region', 'eu-west-1', '--account', '111122223333');
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(Object.keys(out)).toEqual(['decision', 'allowed', 'action', 'resource', 'reason', 'deciding', 'missingVariables', 'hints', 'warnings', 'principal', 'policies', 'rolePolicies', 'cognito', 'trace']);
    expect(out).toMatchObject({ decision: 'ALLOWED', allowed: true, action: 'iot:Subscribe', resource: 'arn:aws:iot:eu-west-1:111122223333:topicfilter/home/123_aws_ave/#', missingVariables: [], trace: null });
    expect(out.deciding).toEqual([
      {
        policyName: file('home.json'),
        statementIndex: 1,
        sid: 'SubscribeHomeTopics',
        effect: 'Allow',
        matchedAction: 'iot:Subscribe',
        matchedResources: ['arn:aws:iot:*:*:topicfilter/home/123_aws_ave/*'],
        notResource: false,
        statement: { Sid: 'SubscribeHomeTopics', Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/home/123_aws_ave/*' },
        side: 'iot',
      },
    ]);
    expect(out.principal).toMatchObject({ region: 'eu-west-1', account: '111122223333' });
  });

  it('does not suggest a flag that was given', async () => {
    const f = write('typed.json', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/t/${iot:Connection.Thing.ThingTypeName}' } });
    const r = await test('-f', f, '--thing', 'lamp-1', '--action', 'iot:Publish', '--resource', 't/lamp');
    expect(r.stdout).toContain('missing: ${iot:Connection.Thing.ThingTypeName} has no value: pass --thing-type\n');
    expect((await test('-f', f, '--thing', 'lamp-1', '--thing-type', 'lamp', '--action', 'iot:Publish', '--resource', 't/lamp')).code).toBe(0);
  });

  it('--var sets any variable; repeating a name makes a list', async () => {
    const f = write('vars.json', {
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/d/${iot:DomainName}', Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect', 'LastWill'] } } },
    });
    const base = ['-f', f, '--action', 'iot:Publish', '--resource', 'd/example.com', '--var', 'iot:DomainName=example.com'];
    expect((await test(...base, '--var', 'iot:ConnectAttributes=PersistentConnect', '--var', 'iot:ConnectAttributes=LastWill')).code).toBe(0);
    expect((await test(...base, '--var', 'iot:ConnectAttributes=PersistentConnect', '--var', 'iot:ConnectAttributes=Other')).code).toBe(3);
  });

  it('--json on a denial lists missing variables with hints', async () => {
    const r = await test('-f', file('device.json'), '--action', 'iot:Connect', '--resource', 'lamp-1', '--json');
    expect(r.code).toBe(3);
    expect(json(r.stdout)).toMatchObject({ decision: 'IMPLICIT_DENY', allowed: false, deciding: [], missingVariables: [{ name: 'iot:Connection.Thing.ThingName', hint: 'pass --thing' }] });
  });

  it('--cert fills the certificate variables and the certificate id', async () => {
    const pem = readFileSync(CERT, 'utf8');
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const id = createHash('sha256').update(der).digest('hex');
    const r = await test('-f', file('cn.json'), '--cert', CERT, '--action', 'iot:Publish', '--resource', 'cn/lamp-1/ops', '--json');
    expect(r.code).toBe(0);
    expect(json(r.stdout).principal.certificate).toBe(id);
    const other = await test('-f', file('cn.json'), '--cert', CERT, '--action', 'iot:Publish', '--resource', 'cn/lamp-1/eng');
    expect(other.code).toBe(3);
  });

  it('--cert with a file that is not a certificate', async () => {
    const r = await test('-f', file('cn.json'), '--cert', file('home.json'), '--action', 'iot:Publish', '--resource', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a PEM certificate');
  });

  it('a Cognito identity publishes only to its own topic', async () => {
    const id = 'us-east-1:abcdef01-2345-6789-abcd-ef0123456789';
    await runCli(['policy', 'render', 'cognito-user', '--param', 'prefix=foo', '--out', file('cognito.json')]);
    const own = await test('-f', file('cognito.json'), '--cognito-id', id, '--action', 'iot:Publish', '--resource', `foo/${id}`);
    expect(own.code).toBe(0);
    const other = await test('-f', file('cognito.json'), '--cognito-id', id, '--action', 'iot:Publish', '--resource', 'foo/us-east-1:00000000-2345-6789-abcd-ef0123456789');
    expect(other.code).toBe(3);
  });

  it('--role-policy-file: both the role and the IoT policies must allow', async () => {
    const id = 'us-east-1:abcdef01-2345-6789-abcd-ef0123456789';
    const role = write('role-connect-only.json', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Connect', Resource: '*' } });
    const r = await test('-f', file('cognito.json'), '--role-policy-file', role, '--cognito-id', id, '--action', 'iot:Publish', '--resource', `foo/${id}`, '--json');
    expect(r.code).toBe(3);
    expect(json(r.stdout)).toMatchObject({
      decision: 'IMPLICIT_DENY',
      reason: `the IoT policies allow it, but the role policy does not: no statement of the authenticated identity's role ${role} allows it`,
      cognito: { decidedBy: 'iam', roleDecision: 'IMPLICIT_DENY', iotDecision: 'ALLOWED' },
    });
    const human = await test('-f', file('cognito.json'), '--role-policy-file', role, '--cognito-id', id, '--action', 'iot:Connect', '--resource', id);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('  both the role policy and the IoT policies allow it: ');
    expect(human.stdout).toContain('  Cognito identity: role policy ALLOWED, IoT policies ALLOWED');
  });

  it('hints at --account-id when a statement names another account', async () => {
    const f = write('acct.json', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:us-east-1:111122223333:topic/a' } });
    const r = await test('-f', f, '--action', 'iot:Publish', '--resource', 'a');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`hint: ${f} Statement[0] names account 111122223333: pass --account-id 111122223333`);
  });

  it('warns when AWS would refuse the request anyway', async () => {
    const r = await test('-f', file('home.json'), '--action', 'iot:Publish', '--resource', 'home/123_aws_ave/#');
    expect(r.stdout).toContain('warning: The topic "home/123_aws_ave/#" contains a wildcard');
  });

  it.each([
    [['--action', 'iot:Publish', '--resource', 'a'], 'error: No policy to test against.', 'hint: pass --policy-file FILE'],
    [['-f', 'POLICY', '--action', 'iot:Publish', '--resource', 'a', '--source-ip', '300.1.1.1'], 'error: --source-ip "300.1.1.1" is not an IPv4 or IPv6 address.', ''],
    [['-f', 'POLICY', '--action', 'iot:Publish', '--resource', 'a', '--attr', 'floor=2'], 'error: --thing-type and --attr describe the attached thing, so they need --thing.', 'hint: e.g. --thing lamp-1'],
    [['-f', 'POLICY', '--action', 'Pubish', '--resource', 'a'], 'error: "Pubish" is not an AWS IoT action.', 'hint: e.g. --action iot:Connect'],
    [['-f', 'POLICY', '--action', 'iot:Publish', '--resource', 'a', '--cognito-id', 'nope'], 'error: --cognito-id "nope" is not a Cognito identity id.', 'hint: it looks like us-east-1:'],
    [['-f', 'POLICY', '--action', 'iot:Publish', '--resource', 'a', '--account-id', '12'], 'error: --account-id must be a 12-digit AWS account id, not "12".', ''],
    // The old spelling still works (a hidden alias).
    [['-f', 'POLICY', '--action', 'iot:Publish', '--resource', 'a', '--account', '12'], 'error: --account-id must be a 12-digit AWS account id, not "12".', ''],
    [['-f', 'POLICY', '--action', 'iot:Publish'], "error: required option '-r, --resource <name|arn>' not specified", 'hint:'],
    [['-f', 'BAD', '--action', 'iot:Publish', '--resource', 'a'], 'is not a valid policy: Statement.Effect must be Allow or Deny, not "allow"', 'hint: see every problem with: iotctl policy validate'],
  ])('usage errors exit 2: %j', async (args, error, hint) => {
    write('bad-effect.json', { Version: '2012-10-17', Statement: { Effect: 'allow', Action: 'iot:Publish', Resource: '*' } });
    const argv = args.map((a) => (a === 'POLICY' ? file('home.json') : a === 'BAD' ? file('bad-effect.json') : a));
    const r = await test(...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(error);
    expect(r.stderr).toContain(hint);
    noStack(r.stderr);
  });

  it('--json errors are one JSON object on stderr', async () => {
    const r = await test('--action', 'iot:Publish', '--resource', 'a', '--json');
    expect(r.code).toBe(2);
    expect(json(r.stderr).error).toMatchObject({ code: 'POLICY_REQUIRED', exitCode: 2 });
  });

  it('colours the decision on a terminal only', async () => {
    const args = ['-f', file('home.json'), '--action', 'iot:Publish', '--resource', 'home/123_aws_ave/x'];
    const piped = await test(...args);
    expect(piped.stdout).not.toContain('\u001b[');
    const tty = await runCli(['policy', 'test', ...args], { tty: true, env: testEnv({ TERM: 'xterm' }) });
    expect(tty.stdout).toContain('\u001b[32m');
    const denied = await runCli(['policy', 'test', ...args.slice(0, -1), 'elsewhere'], { tty: true, env: testEnv({ TERM: 'xterm' }) });
    expect(denied.stdout).toContain('\u001b[31m');
  });
});

describe('iotctl policy explain', () => {
  it('traces every statement in words', async () => {
    const r = await runCli(['policy', 'explain', '-f', file('device.json'), '--thing', 'lamp-1', '--action', 'iot:Publish', '--resource', 'things/lamp-2/state']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Statement by statement:');
    expect(r.stdout).toContain(`${file('device.json')}, Statement[0] "ConnectAsOwnThingName" (Allow): does not apply`);
    expect(r.stdout).toMatch(/Action +no +not in \["iot:Connect"\]/);
    expect(r.stdout).toMatch(/Action +yes matched by "iot:Publish"/);
    expect(r.stdout).toContain('no match arn:aws:iot:*:*:topic/things/lamp-1/* (from arn:aws:iot:*:*:topic/things/${iot:Connection.Thing.ThingName}/*)');
  });

  it('shows conditions and unresolved variables', async () => {
    const f = write('cond.json', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:ClientId}', Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } } });
    const r = await runCli(['policy', 'explain', '-f', f, '--action', 'iot:Connect', '--resource', 'dev-9']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('false iot:Connection.Thing.IsAttached is "false"; Bool "true" is false');
    const missing = await runCli(['policy', 'explain', '-f', file('device.json'), '--action', 'iot:Connect', '--resource', 'lamp-1']);
    expect(missing.stdout).toContain('no value arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName} ${iot:Connection.Thing.ThingName} has no value');
  });

  it('test --explain --json includes the trace', async () => {
    const r = await runCli(['policy', 'test', '--explain', '--json', '-f', file('home.json'), '--action', 'iot:Receive', '--resource', 'home/123_aws_ave/x']);
    const out = json(r.stdout);
    expect(out.trace).toHaveLength(3);
    expect(out.trace[2]).toMatchObject({ statementIndex: 2, applies: true, action: { matched: true }, resource: { matched: true }, conditions: { matched: true, entries: [] } });
  });
});

describe('bin/iotctl.js', () => {
  it('exits 3 on a denial and 0 when allowed, as a real process', async () => {
    const denied = await spawnCli(['policy', 'test', '-f', file('chuck.json'), '--action', 'iot:Publish', '--resource', 'home/123_aws_ave/door_1/open']);
    expect(denied.code).toBe(3);
    const allowed = await spawnCli(['policy', 'test', '-f', file('home.json'), '--action', 'iot:Publish', '--resource', 'home/123_aws_ave/light_1/on', '--json']);
    expect(allowed.code).toBe(0);
    expect(json(allowed.stdout).decision).toBe('ALLOWED');
  });
});
