/**
 * Structural checks of a policy document, as the services do on CreatePolicy,
 * PutRolePolicy and CreateRole: the size limit (whitespace excluded) where the
 * document alone decides it, valid JSON, a Version and a Statement whose
 * entries have an Effect, an Action/NotAction, and what the kind of document
 * needs: a Resource/NotResource (IoT and IAM identity policies) or a
 * Principal/NotPrincipal and no Resource (IAM trust policies).
 * Evaluating documents is src/core/policy's job, not this module's.
 */
import { parsePolicy } from '../core/policy/index.js';
import { ServiceError, ValidationError } from './errors.js';

export interface DocumentLimits {
  /** Characters, whitespace excluded (IoT policies: 2,048). IAM limits a role's documents together, so it checks size itself. */
  maxChars?: number;
  /** The error code for a bad document (IoT: MalformedPolicyException). */
  code: string;
  /** How the service's message starts (AWS IoT: "Policy document is Malformed: "). */
  prefix?: string;
  /** `trust`: an IAM role's AssumeRolePolicyDocument; `iam`: an IAM identity policy (no Principal). Default `iot`. */
  kind?: 'iot' | 'iam' | 'trust';
}

export const IOT_POLICY_LIMITS: DocumentLimits = { maxChars: 2048, code: 'MalformedPolicyException', prefix: 'Policy document is Malformed: ' };
/** An inline role policy (PutRolePolicy); the role's 10,240-character total is checked by the registry. */
export const ROLE_POLICY_LIMITS: DocumentLimits = { code: 'MalformedPolicyDocument', kind: 'iam' };
/** A role's trust policy (CreateRole, UpdateAssumeRolePolicy); its 2,048-character quota is checked by the operation. */
export const TRUST_POLICY_LIMITS: DocumentLimits = { code: 'MalformedPolicyDocument', kind: 'trust' };

/** The size AWS counts: characters, whitespace excluded. */
export function policySize(text: string): number {
  return text.replace(/\s/g, '').length;
}

const STRINGS = (v: unknown) => typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));

/** Returns the document unchanged when it is acceptable; throws otherwise. */
export function checkPolicyDocument(text: unknown, field: string, limits: DocumentLimits): string {
  if (text === undefined || text === null) throw new ValidationError(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  if (typeof text !== 'string') throw new ValidationError(`Value at '${field}' must be a string.`);
  const malformed = (why: string) => new ServiceError(limits.code, `${limits.prefix ?? 'The policy document is malformed: '}${why}`);
  const size = policySize(text);
  if (limits.maxChars !== undefined && size > limits.maxChars) throw malformed(`it has ${size} characters excluding whitespace; the limit is ${limits.maxChars}.`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw malformed(`not valid JSON (${(err as Error).message}).`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw malformed('the document must be a JSON object.');
  const { Version, Statement } = doc as Record<string, unknown>;
  if (typeof Version !== 'string') throw malformed('"Version" is missing (use "2012-10-17").');
  if (Version !== '2012-10-17' && Version !== '2008-10-17') throw malformed(`unsupported Version "${Version}".`);
  const statements = Array.isArray(Statement) ? Statement : Statement === undefined ? undefined : [Statement];
  if (!statements || statements.length === 0) throw malformed('"Statement" is missing or empty.');
  statements.forEach((s, i) => {
    const where = `Statement ${i + 1}`;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw malformed(`${where} must be an object.`);
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw malformed(`${where}: "Effect" must be "Allow" or "Deny".`);
    if ((st.Action === undefined) === (st.NotAction === undefined)) throw malformed(`${where} needs exactly one of "Action" and "NotAction".`);
    if (!STRINGS(st.Action ?? st.NotAction)) throw malformed(`${where}: "Action" must be a string or a list of strings.`);
    if (limits.kind === 'trust') checkTrustTarget(st, where, malformed);
    else {
      if ((st.Resource === undefined) === (st.NotResource === undefined)) throw malformed(`${where} needs exactly one of "Resource" and "NotResource".`);
      if (!STRINGS(st.Resource ?? st.NotResource)) throw malformed(`${where}: "Resource" must be a string or a list of strings.`);
      if (limits.kind === 'iam' && (st.Principal !== undefined || st.NotPrincipal !== undefined)) throw malformed(`${where}: an identity policy must not specify a principal.`);
    }
    if (st.Condition !== undefined && (typeof st.Condition !== 'object' || st.Condition === null || Array.isArray(st.Condition))) {
      throw malformed(`${where}: "Condition" must be an object.`);
    }
  });
  return text;
}

/** A trust policy names who may assume the role (Principal) and never a Resource. */
function checkTrustTarget(st: Record<string, unknown>, where: string, malformed: (why: string) => ServiceError): void {
  if (st.Resource !== undefined || st.NotResource !== undefined) throw malformed(`${where}: a trust policy has the prohibited field Resource.`);
  if ((st.Principal === undefined) === (st.NotPrincipal === undefined)) throw malformed(`${where} needs exactly one of "Principal" and "NotPrincipal".`);
  const principal = st.Principal ?? st.NotPrincipal;
  const valid =
    principal === '*' ||
    (typeof principal === 'object' && principal !== null && !Array.isArray(principal) && Object.keys(principal).length > 0 && Object.values(principal).every(STRINGS));
  if (!valid) throw malformed(`${where}: "Principal" must be "*" or an object such as {"Federated": "cognito-identity.amazonaws.com"}.`);
}

/**
 * CreatePolicy and CreatePolicyVersion: the structural checks above, then
 * what the policy engine refuses (unknown condition operators, resources that
 * are not ARNs, ...), in AWS's words ("Policy document is Malformed: ...") with
 * the element named. What AWS accepts but iotctl cannot evaluate (Date
 * operators) is accepted: the evaluator enforces such statements fail-closed.
 */
export function checkIotPolicyDocument(text: unknown, field: string): string {
  const document = checkPolicyDocument(text, field, IOT_POLICY_LIMITS);
  const { errors } = parsePolicy(document, { kind: 'iot' });
  if (errors.length === 0) return document;
  const resources = errors.filter((e) => e.code === 'POLICY_BAD_RESOURCE').map((e) => /"([^"]*)"/.exec(e.message)?.[1] ?? e.path);
  const { code, prefix } = IOT_POLICY_LIMITS;
  if (resources.length > 0) throw new ServiceError(code, `${prefix}The following resources are invalid : ${resources.join(', ')}`);
  throw new ServiceError(code, `${prefix}Invalid policy syntax. ${errors[0]!.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
}
