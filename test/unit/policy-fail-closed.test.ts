/** A statement the evaluator cannot read fails closed: a Deny denies, an Allow grants nothing; evaluate, isAllowed and decide agree. */
import { describe, expect, it } from 'vitest';
import { buildVariables, compilePolicy, decide, evaluate, isAllowed, PolicyError } from '../../src/core/policy/index.js';

const ALLOW_ALL = { Effect: 'Allow', Action: 'iot:*', Resource: '*' };
const doc = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const stored = (name: string, document: string) => compilePolicy({ name, document, stored: true });
const bag = buildVariables({ clientId: 'c1' });
const publish = (topic: string) => ({ action: 'iot:Publish', resource: `arn:aws:iot:us-east-1:123456789012:topic/${topic}` });

/** The decision three ways; they must agree. */
function decisions(policies: ReturnType<typeof stored>[], request: { action: string; resource: string }) {
  const ev = evaluate(policies, request, bag);
  const fast = isAllowed(policies, request, bag);
  const explained = decide({ iot: { policies, owner: 'certificate' } }, request, bag);
  expect(fast).toBe(ev.allowed);
  expect(explained.decision).toBe(ev.decision);
  return { ev, explained };
}

describe('fail closed', () => {
  it.each([
    ['an unknown condition operator', { Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/secret/*', Condition: { StringEqualz: { 'iot:ClientId': 'x' } } }],
    ['one resource that is not an ARN', { Effect: 'Deny', Action: 'iot:Publish', Resource: ['arn:aws:iot:*:*:topic/secret/*', 'topic/secret/*'] }],
    ['an Effect nobody can read (counts as Deny)', { Effect: 'Dney', Action: 'iot:Publish', Resource: '*' }],
    ['a Date operator (valid IAM, beyond the evaluator)', { Effect: 'Deny', Action: 'iot:Publish', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } }],
  ])('a stored Deny with %s still denies, beside an Allow in another policy', (_what, statement) => {
    const policies = [stored('allow', doc(ALLOW_ALL)), stored('deny', doc(statement))];
    const { ev, explained } = decisions(policies, publish('secret/door'));
    expect(ev.decision).toBe('EXPLICIT_DENY');
    expect(ev.deciding).toHaveLength(1);
    expect(ev.deciding[0]!.unreadable).toBeTruthy();
    expect(explained.reason).toMatch(/^explicitly denied by deny, Statement\[0\], which iotctl cannot evaluate \(.+\) and so counts as matching$/);
    // Its readable Action still scopes it: iot:Subscribe is untouched.
    expect(decisions(policies, { action: 'iot:Subscribe', resource: 'arn:aws:iot:us-east-1:123456789012:topicfilter/a' }).ev.decision).toBe('ALLOWED');
  });

  it('a stored Allow that cannot be read grants nothing, and the explanation says so', () => {
    const policies = [stored('dated', doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2999-01-01T00:00:00Z' } } }))];
    const { ev, explained } = decisions(policies, publish('a'));
    expect(ev.decision).toBe('IMPLICIT_DENY');
    expect(explained.reason).toContain('dated, Statement[0] (Condition has the condition operator "DateLessThan", which is valid IAM but not supported by iotctl\'s evaluator) cannot be evaluated by iotctl, so it grants nothing');
  });

  it('a stored document that is not JSON, or has a statement with unreadable actions, denies every action', () => {
    for (const document of ['{not json', doc({ Effect: 'Deny', Action: 7, Resource: '*' })]) {
      const policies = [stored('allow', doc(ALLOW_ALL)), stored('broken', document)];
      expect(decisions(policies, { action: 'iot:Connect', resource: 'arn:aws:iot:us-east-1:123456789012:client/c1' }).ev.decision).toBe('EXPLICIT_DENY');
    }
  });

  it('a new document: invalid is refused (PolicyError); valid but beyond the evaluator compiles and fails closed', () => {
    expect(() => compilePolicy({ name: 'new', document: doc({ Effect: 'Deny', Action: 'iot:Publish', Resource: 'topic/x' }) })).toThrow(PolicyError);
    const dated = compilePolicy({ name: 'new', document: doc({ Effect: 'Deny', Action: 'iot:Publish', Resource: '*', Condition: { DateEquals: { 'aws:CurrentTime': '2020-01-01' } } }) });
    expect(dated.statements[0]!.unreadable).toMatch(/DateEquals/);
  });

  it('readable statements are untouched', () => {
    const policies = [stored('fine', doc(ALLOW_ALL, { Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/secret/*' }))];
    expect(decisions(policies, publish('open')).ev.decision).toBe('ALLOWED');
    expect(decisions(policies, publish('secret/x')).ev.decision).toBe('EXPLICIT_DENY');
    expect(evaluate(policies, publish('open'), bag).unreadable).toEqual([]);
  });
});
