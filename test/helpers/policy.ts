/** Small builders for policy tests: documents, requests and one-line decisions. */
import { evaluate, iotArn, resourceForAction, type Evaluation, type PolicyContext, type PolicyInput } from '../../src/core/policy/index.js';

export const SCOPE = { region: 'us-east-1', account: '123456789012' };

export type Statement = Record<string, unknown>;

export function allow(action: string | string[], resource: string | string[], extra: Statement = {}): Statement {
  return { Effect: 'Allow', Action: action, Resource: resource, ...extra };
}

export function deny(action: string | string[], resource: string | string[], extra: Statement = {}): Statement {
  return { Effect: 'Deny', Action: action, Resource: resource, ...extra };
}

export function policy(name: string, ...statements: Statement[]): PolicyInput {
  return { name, versionId: '1', document: { Version: '2012-10-17', Statement: statements } };
}

/** `topic/a/b` → `arn:aws:iot:*:*:topic/a/b` (a policy resource valid in any region/account). */
export function anyArn(typeAndName: string): string {
  const slash = typeAndName.indexOf('/');
  return `arn:aws:iot:*:*:${typeAndName.slice(0, slash)}/${typeAndName.slice(slash + 1)}`;
}

export function request(action: string, target: string): { action: string; resource: string } {
  return { action, resource: resourceForAction(action, target, SCOPE) };
}

export function check(policies: PolicyInput[], action: string, target: string, context: PolicyContext = {}): Evaluation {
  return evaluate(policies, request(action, target), context);
}

export function decision(policies: PolicyInput[], action: string, target: string, context: PolicyContext = {}): string {
  return check(policies, action, target, context).decision;
}

export { iotArn };
