import { describe, expect, it } from 'vitest';
import { paginate } from '../../src/emulator/pagination.js';
import { checkPolicyDocument, IOT_POLICY_LIMITS } from '../../src/emulator/policy-document.js';
import { ServiceError, ValidationError } from '../../src/emulator/errors.js';

const letters = 'abcdefghij'.split('');

function all(items: string[], limit: number): string[][] {
  const pages: string[][] = [];
  let token: string | undefined;
  do {
    const page = paginate(items, (x) => x, token, limit, 'marker');
    pages.push(page.items);
    token = page.next;
  } while (token);
  return pages;
}

describe('paginate', () => {
  it.each([1, 3, 10, 11])('walks every item exactly once with limit %i', (limit) => {
    expect(all(letters, limit).flat()).toEqual(letters);
  });

  it('has no token on the last page, or for an empty list', () => {
    expect(paginate(letters, (x) => x, undefined, 10, 'm').next).toBeUndefined();
    expect(paginate([], (x) => x, undefined, 5, 'm')).toEqual({ items: [] });
  });

  it('resumes correctly when the last item returned was deleted', () => {
    const first = paginate(letters, (x) => x, undefined, 3, 'm');
    const after = letters.filter((l) => l !== 'c');
    expect(paginate(after, (x) => x, first.next, 3, 'm').items).toEqual(['d', 'e', 'f']);
  });

  it('refuses a forged token', () => {
    expect(() => paginate(letters, (x) => x, 'bm90IGpzb24', 3, 'nextToken')).toThrow(ValidationError);
  });
});

describe('checkPolicyDocument', () => {
  const ok = { Version: '2012-10-17', Statement: { Effect: 'Deny', NotAction: ['iot:Publish'], NotResource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } } };

  it('accepts a single statement object, NotAction and NotResource', () => {
    expect(checkPolicyDocument(JSON.stringify(ok), 'policyDocument', IOT_POLICY_LIMITS)).toBe(JSON.stringify(ok));
  });

  it.each([
    ['both Action and NotAction', { ...ok, Statement: { ...ok.Statement, Action: 'iot:*' } }],
    ['an empty Statement list', { ...ok, Statement: [] }],
    ['a numeric Action', { ...ok, Statement: { Effect: 'Allow', Action: 5, Resource: '*' } }],
    ['an unknown Version', { ...ok, Version: '2020-01-01' }],
    ['a Condition list', { ...ok, Statement: { Effect: 'Allow', Action: 'iot:*', Resource: '*', Condition: [] } }],
  ])('refuses %s', (_why, doc) => {
    expect(() => checkPolicyDocument(JSON.stringify(doc), 'policyDocument', IOT_POLICY_LIMITS)).toThrow(ServiceError);
  });

  it('a missing document is a validation error, not a malformed policy', () => {
    expect(() => checkPolicyDocument(undefined, 'policyDocument', IOT_POLICY_LIMITS)).toThrow(ValidationError);
  });
});
