import { describe, expect, it } from 'vitest';
import {
  buildVariables,
  clearPolicyCache,
  combineCognito,
  compilePolicy,
  evaluate,
  decide,
  compileAll,
  statementName,
  type PolicySides,
  explain,
  isAllowed,
  policyCacheSize,
  PolicyError,
  renderTemplate,
  type PolicyContext,
  type PolicyInput,
} from '../../src/core/policy/index.js';
import homeTemplate from '../../templates/policies/home.json' with { type: 'json' };
import cognitoTemplate from '../../templates/policies/cognito-user.json' with { type: 'json' };
import { allow, anyArn, check, decision, deny, policy, request } from '../helpers/policy.js';

const home = (homeId: string): PolicyInput => ({ name: `home-${homeId}`, versionId: '1', document: renderTemplate(homeTemplate, { homeId }).document });
const alice = { policies: [home('123_aws_ave')], context: { clientId: '123_aws_ave-alice' } };
const bob = { policies: [home('123_aws_ave')], context: { clientId: '123_aws_ave-bob' } };
const chuck = { policies: [home('456_iot_ln')], context: { clientId: '456_iot_ln-chuck' } };

describe('the AWS talk scenario: Alice and Bob share home 123_aws_ave, Chuck has 456_iot_ln', () => {
  it.each([
    ['alice', alice, 'iot:Connect', '123_aws_ave-alice', 'ALLOWED'],
    ['alice', alice, 'iot:Subscribe', 'home/123_aws_ave/#', 'ALLOWED'],
    ['alice', alice, 'iot:Publish', 'home/123_aws_ave/light_1/on', 'ALLOWED'],
    ['alice', alice, 'iot:Publish', 'home/123_aws_ave/door_1/open', 'ALLOWED'],
    ['alice', alice, 'iot:Receive', 'home/123_aws_ave/door_1/open', 'ALLOWED'],
    ['bob', bob, 'iot:Subscribe', 'home/123_aws_ave/#', 'ALLOWED'],
    ['bob', bob, 'iot:Publish', 'home/123_aws_ave/light_1/on', 'ALLOWED'],
    ['bob', bob, 'iot:Publish', 'home/123_aws_ave/door_1/open', 'ALLOWED'],
    ['chuck', chuck, 'iot:Publish', 'home/123_aws_ave/door_1/open', 'IMPLICIT_DENY'],
    ['chuck', chuck, 'iot:Subscribe', 'home/123_aws_ave/#', 'IMPLICIT_DENY'],
    ['chuck', chuck, 'iot:Receive', 'home/123_aws_ave/door_1/open', 'IMPLICIT_DENY'],
    ['chuck', chuck, 'iot:Connect', '123_aws_ave-chuck', 'IMPLICIT_DENY'],
    ['chuck', chuck, 'iot:Publish', 'home/456_iot_ln/door_1/open', 'ALLOWED'],
    ['chuck', chuck, 'iot:Subscribe', 'home/456_iot_ln/+/open', 'ALLOWED'],
    ['alice', alice, 'iot:Publish', 'home/123_aws_ave', 'IMPLICIT_DENY'], // the home topic itself is not under home/<id>/
  ])('%s %s %s → %s', (_who, who, action, target, expected) => {
    expect(decision(who.policies, action, target, who.context)).toBe(expected);
  });
});

describe('Cognito identity scoped by ${cognito-identity.amazonaws.com:sub}', () => {
  const id = 'us-east-1:abcdef01-2345-6789-abcd-ef0123456789';
  const other = 'us-east-1:99999999-2345-6789-abcd-ef0123456789';
  const iot = [{ name: 'cognito-user', document: renderTemplate(cognitoTemplate, { prefix: 'foo' }).document }];
  const ctx: PolicyContext = { clientId: id, cognito: { identityId: id } };
  it.each([
    ['iot:Publish', `foo/${id}`, 'ALLOWED'],
    ['iot:Publish', `foo/${id}/status`, 'ALLOWED'],
    ['iot:Publish', `foo/${other}`, 'IMPLICIT_DENY'],
    ['iot:Subscribe', `foo/${id}/#`, 'ALLOWED'],
    ['iot:Subscribe', 'foo/#', 'IMPLICIT_DENY'],
    ['iot:Connect', id, 'ALLOWED'],
    ['iot:Connect', other, 'IMPLICIT_DENY'],
  ])('%s %s → %s', (action, target, expected) => {
    expect(decision(iot, action, target, ctx)).toBe(expected);
  });

  const cognitoSides = (rolePolicies: Parameters<typeof compileAll>[0], iotPolicies: Parameters<typeof compileAll>[0]): PolicySides => ({
    role: { policies: compileAll(rolePolicies), roleArn: 'arn:aws:iam::123456789012:role/auth', known: true, authenticated: true },
    iot: { policies: compileAll(iotPolicies), owner: 'identity' },
  });
  const role = [policy('auth-role', allow(['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive'], '*'), deny('iot:Publish', anyArn('topic/foo/*/admin')))];
  it.each([
    ['both allow', role, iot, `foo/${id}`, 'ALLOWED', 'both'],
    ['the role denies explicitly', role, iot, `foo/${id}/admin`, 'EXPLICIT_DENY', 'iam'],
    ['no IoT policy allows', role, iot, `foo/${other}`, 'IMPLICIT_DENY', 'iot'],
    ['no IoT policy attached', role, [], `foo/${id}`, 'IMPLICIT_DENY', 'iot'],
    ['the role does not allow', [policy('narrow', allow('iot:Connect', '*'))], iot, `foo/${id}`, 'IMPLICIT_DENY', 'iam'],
  ])('authenticated identity, %s', (_name, rolePolicies, iotPolicies, topic, expected, decidedBy) => {
    const result = decide(cognitoSides(rolePolicies, iotPolicies), request('iot:Publish', topic), ctx);
    expect([result.decision, result.cognito?.decidedBy]).toEqual([expected, decidedBy]);
    expect(result.action).toBe('iot:Publish');
  });

  it('an explicit deny on the IoT side wins over an Allow in the role, and the sentence names it', () => {
    const iotDeny = [...iot, policy('block', deny('iot:Publish', anyArn('topic/foo/*')))];
    const result = decide(cognitoSides(role, iotDeny), request('iot:Publish', `foo/${id}`), ctx);
    expect(result.decision).toBe('EXPLICIT_DENY');
    expect(result.cognito?.decidedBy).toBe('iot');
    expect(result.reason).toBe(`explicitly denied by ${statementName(result.deciding[0]!)}`);
    expect(result.deciding.map((d) => [d.side, d.policyName])).toEqual([['iot', 'block']]);
  });

  it('explains both sides, with a trace when asked', () => {
    const result = decide(cognitoSides(role, iot), request('iot:Publish', `foo/${other}`), ctx, { trace: true });
    expect(result.reason).toBe('the role policy allows it, but no IoT policy attached to the identity does: no statement of the identity\'s policies (cognito-user) allows it');
    expect(result.policies).toEqual(['auth-role', 'cognito-user']);
    expect(result.trace?.length).toBeGreaterThan(0);
  });

  it('an unauthenticated identity: its role alone decides, and an unknown role grants nothing', () => {
    const guest: PolicySides = { role: { policies: compileAll(role), roleArn: 'arn:aws:iam::123456789012:role/guest', known: true, authenticated: false } };
    expect(decide(guest, request('iot:Publish', `foo/${id}`), ctx).allowed).toBe(true);
    const unknown: PolicySides = { role: { policies: [], roleArn: 'arn:aws:iam::123456789012:role/gone', known: false, authenticated: false } };
    expect(decide(unknown, request('iot:Publish', `foo/${id}`), ctx).reason).toBe("the unauthenticated identity's role arn:aws:iam::123456789012:role/gone is unknown here, so it grants nothing");
  });

  it('combineCognito merges missing variables', () => {
    const a = check([policy('a', allow('iot:Publish', anyArn('topic/${iot:ClientId}')))], 'iot:Publish', 'x');
    const b = check([policy('b', allow('iot:Publish', anyArn('topic/${cognito-identity.amazonaws.com:sub}')))], 'iot:Publish', 'x');
    expect(combineCognito(a, b).missingVariables).toEqual(['iot:ClientId', 'cognito-identity.amazonaws.com:sub']);
  });
});

describe('decisions and precedence', () => {
  it.each<[string, PolicyInput[], string, string, string]>([
    ['no policies', [], 'iot:Publish', 'a', 'IMPLICIT_DENY'],
    ['explicit deny wins over allow', [policy('p', allow('iot:Publish', '*'), deny('iot:Publish', anyArn('topic/a')))], 'iot:Publish', 'a', 'EXPLICIT_DENY'],
    ['explicit deny wins across policies', [policy('p1', allow('iot:*', '*')), policy('p2', deny('iot:Publish', anyArn('topic/*')))], 'iot:Publish', 'a', 'EXPLICIT_DENY'],
    ['a deny for another action does not apply', [policy('p', allow('iot:Publish', '*'), deny('iot:Subscribe', '*'))], 'iot:Publish', 'a', 'ALLOWED'],
    ['iot:* covers every iot action', [policy('p', allow('iot:*', '*'))], 'iot:Receive', 'a', 'ALLOWED'],
    ['* covers every action', [policy('p', allow('*', '*'))], 'iot:Connect', 'c', 'ALLOWED'],
    ['action wildcards', [policy('p', allow('iot:*Publish', '*'))], 'iot:RetainPublish', 'a', 'ALLOWED'],
    ['action names are case-insensitive', [policy('p', allow('IOT:publish', '*'))], 'iot:Publish', 'a', 'ALLOWED'],
    ['NotAction allows everything else', [policy('p', { Effect: 'Allow', NotAction: 'iot:Publish', Resource: '*' })], 'iot:Subscribe', 'a', 'ALLOWED'],
    ['NotAction excludes the named action', [policy('p', { Effect: 'Allow', NotAction: 'iot:Publish', Resource: '*' })], 'iot:Publish', 'a', 'IMPLICIT_DENY'],
    ['resources are case-sensitive', [policy('p', allow('iot:Publish', anyArn('topic/Home/*')))], 'iot:Publish', 'home/x', 'IMPLICIT_DENY'],
    ['Subscribe is checked on topicfilter/, not topic/', [policy('p', allow('iot:Subscribe', anyArn('topic/a/*')))], 'iot:Subscribe', 'a/b', 'IMPLICIT_DENY'],
    ['Publish is checked on topic/, not topicfilter/', [policy('p', allow('iot:Publish', anyArn('topicfilter/a/*')))], 'iot:Publish', 'a/b', 'IMPLICIT_DENY'],
    ['a region-specific resource', [policy('p', allow('iot:Publish', 'arn:aws:iot:us-east-1:123456789012:topic/a'))], 'iot:Publish', 'a', 'ALLOWED'],
    ['another account', [policy('p', allow('iot:Publish', 'arn:aws:iot:us-east-1:111122223333:topic/a'))], 'iot:Publish', 'a', 'IMPLICIT_DENY'],
  ])('%s', (_name, policies, action, target, expected) => {
    expect(decision(policies, action, target)).toBe(expected);
  });
});

describe('MQTT wildcards are literal in policy resources', () => {
  const literal = [policy('p', allow('iot:Subscribe', anyArn('topicfilter/some/+/topic')))];
  const star = [policy('p', allow('iot:Subscribe', anyArn('topicfilter/some/*/topic')))];
  it.each([
    [literal, 'some/+/topic', 'ALLOWED'],
    [literal, 'some/a/topic', 'IMPLICIT_DENY'],
    [literal, 'some/#', 'IMPLICIT_DENY'],
    [star, 'some/+/topic', 'ALLOWED'],
    [star, 'some/a/b/topic', 'ALLOWED'],
    [star, 'some/topic', 'IMPLICIT_DENY'],
  ])('#%# SUBSCRIBE %s → %s', (policies, filter, expected) => {
    expect(decision(policies, 'iot:Subscribe', filter)).toBe(expected);
  });

  it('a Deny on topicfilter/a/restricted/* does not stop a SUBSCRIBE to a/# (AWS docs)', () => {
    const p = [policy('p', allow('iot:Subscribe', anyArn('topicfilter/a/*')), deny('iot:Subscribe', anyArn('topicfilter/a/restricted/*')))];
    expect(decision(p, 'iot:Subscribe', 'a/#')).toBe('ALLOWED');
    expect(decision(p, 'iot:Subscribe', 'a/restricted/#')).toBe('EXPLICIT_DENY');
  });
});

describe('NotResource: the AWS docs receive example', () => {
  // Allow iot:Receive on everything except topic/a/restricted/*.
  const p = [policy('p', allow('iot:Subscribe', anyArn('topicfilter/a/#')), { Effect: 'Allow', Action: 'iot:Receive', NotResource: anyArn('topic/a/restricted/*') })];
  it.each([
    ['iot:Subscribe', 'a/#', 'ALLOWED'],
    ['iot:Receive', 'a/b', 'ALLOWED'],
    ['iot:Receive', 'a/restricted/secret', 'IMPLICIT_DENY'],
    ['iot:Receive', 'other/topic', 'ALLOWED'],
  ])('%s %s → %s', (action, target, expected) => {
    expect(decision(p, action, target)).toBe(expected);
  });

  it('a NotResource pattern with a missing variable makes the statement not apply', () => {
    const q = [policy('q', { Effect: 'Allow', Action: 'iot:Receive', NotResource: anyArn('topic/${iot:Connection.Thing.ThingName}/private/*') })];
    expect(decision(q, 'iot:Receive', 'x/private/y')).toBe('IMPLICIT_DENY');
    expect(check(q, 'iot:Receive', 'x/private/y').missingVariables).toEqual(['iot:Connection.Thing.ThingName']);
    expect(decision(q, 'iot:Receive', 'x/private/y', { thing: { name: 't' } })).toBe('ALLOWED');
    expect(decision(q, 'iot:Receive', 't/private/y', { thing: { name: 't' } })).toBe('IMPLICIT_DENY');
  });
});

describe('explanations', () => {
  const p: PolicyInput = { name: 'dev', versionId: '3', document: { Version: '2012-10-17', Statement: [
    { Sid: 'Own', ...allow('iot:Publish', [anyArn('topic/x'), anyArn('topic/things/${iot:Connection.Thing.ThingName}/*')]) },
    { Sid: 'NoSecrets', ...deny('iot:Publish', anyArn('topic/things/*/secret')) },
    allow('iot:Subscribe', anyArn('topicfilter/things/*')),
  ] } };
  const ctx: PolicyContext = { clientId: 'lamp', thing: { name: 'lamp' } };

  it('names the deciding Allow with the pattern after substitution', () => {
    const result = check([p], 'iot:Publish', 'things/lamp/state', ctx);
    expect(result).toMatchObject({ decision: 'ALLOWED', allowed: true, action: 'iot:Publish', resource: 'arn:aws:iot:us-east-1:123456789012:topic/things/lamp/state', missingVariables: [] });
    expect(result.deciding).toEqual([
      {
        policyName: 'dev',
        policyVersionId: '3',
        statementIndex: 0,
        sid: 'Own',
        effect: 'Allow',
        matchedAction: 'iot:Publish',
        matchedResources: ['arn:aws:iot:*:*:topic/things/lamp/*'],
        notResource: false,
        statement: (p.document as { Statement: unknown[] }).Statement[0],
      },
    ]);
  });

  it('names the deciding Deny', () => {
    const result = check([p], 'iot:Publish', 'things/lamp/secret', ctx);
    expect(result.decision).toBe('EXPLICIT_DENY');
    expect(result.deciding.map((d) => [d.sid, d.effect, d.statementIndex])).toEqual([['NoSecrets', 'Deny', 1]]);
  });

  it('names no statement for an implicit deny, but the missing variables', () => {
    const result = check([p], 'iot:Publish', 'things/lamp/state', { clientId: 'lamp' });
    expect(result.deciding).toEqual([]);
    expect(result.missingVariables).toEqual(['iot:Connection.Thing.ThingName']);
  });

  it('traces every statement', () => {
    const result = explain([p], request('iot:Publish', 'things/other/state'), ctx);
    expect(result.decision).toBe('IMPLICIT_DENY');
    expect(result.trace.map((t) => [t.statementIndex, t.action.matched, t.resource.matched, t.applies])).toEqual([
      [0, true, false, false],
      [1, true, false, false],
      [2, false, false, false],
    ]);
    expect(result.trace[0]!.resource.patterns).toEqual([
      { pattern: 'arn:aws:iot:*:*:topic/x', substituted: 'arn:aws:iot:*:*:topic/x', outcome: 'no-match', missingVariables: [] },
      { pattern: 'arn:aws:iot:*:*:topic/things/${iot:Connection.Thing.ThingName}/*', substituted: 'arn:aws:iot:*:*:topic/things/lamp/*', outcome: 'no-match', missingVariables: [] },
    ]);
    expect(result.trace[2]!.action).toEqual({ element: 'Action', matched: false, matchedBy: null, patterns: ['iot:Subscribe'] });
  });

  it('marks unresolved patterns in the trace', () => {
    const result = explain([p], request('iot:Publish', 'things/lamp/state'), {});
    expect(result.trace[0]!.resource.patterns[1]).toMatchObject({ outcome: 'unresolved', substituted: 'arn:aws:iot:*:*:topic/things/${iot:Connection.Thing.ThingName}/*', missingVariables: ['iot:Connection.Thing.ThingName'] });
  });

  it('trace and decision agree, and isAllowed agrees with evaluate', () => {
    const compiled = [compilePolicy(p)];
    const bag = buildVariables(ctx);
    for (const [action, target] of [['iot:Publish', 'things/lamp/a'], ['iot:Publish', 'things/lamp/secret'], ['iot:Publish', 'x'], ['iot:Subscribe', 'things/#'], ['iot:Connect', 'lamp']] as const) {
      const req = request(action, target);
      const e = explain(compiled, req, bag);
      const applying = e.trace.filter((t) => t.applies);
      expect(e.deciding.length).toBe(applying.filter((t) => (e.decision === 'EXPLICIT_DENY' ? t.effect === 'Deny' : t.effect === 'Allow')).length);
      expect(isAllowed(compiled, req, bag)).toBe(evaluate(compiled, req, bag).allowed);
    }
  });
});

describe('compile cache', () => {
  it('compiles a (name, version, document) once', () => {
    clearPolicyCache();
    const p = policy('p', allow('iot:Publish', '*'));
    const a = compilePolicy(p);
    const b = compilePolicy({ ...p });
    expect(b).toBe(a);
    expect(compilePolicy({ ...p, versionId: '2' })).not.toBe(a);
    expect(compilePolicy({ ...p, document: { Version: '2012-10-17', Statement: allow('iot:Publish', anyArn('topic/x')) } })).not.toBe(a);
    expect(policyCacheSize()).toBe(3);
  });

  it('stays bounded', () => {
    clearPolicyCache();
    for (let i = 0; i < 600; i++) compilePolicy(policy(`p${i}`, allow('iot:Publish', '*')));
    expect(policyCacheSize()).toBe(512);
  });

  it('refuses an invalid policy with every problem', () => {
    try {
      compilePolicy({ name: 'bad', document: { Statement: [{ Effect: 'allow' }] } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as PolicyError).message).toBe('The policy "bad" is invalid: Statement[0].Effect must be Allow or Deny, not "allow" (and 2 more)');
      expect((err as PolicyError).exitCode).toBe(2);
    }
  });

  it('gives the same answer for many principals sharing one compiled policy', () => {
    const compiled = [compilePolicy(policy('d', allow('iot:Publish', anyArn('topic/things/${iot:ClientId}/*'))))];
    for (let i = 0; i < 100; i++) {
      const bag = buildVariables({ clientId: `dev${i}` });
      expect(isAllowed(compiled, request('iot:Publish', `things/dev${i}/x`), bag)).toBe(true);
      expect(isAllowed(compiled, request('iot:Publish', `things/dev${i + 1}/x`), bag)).toBe(false);
    }
  });
});
