/**
 * Input validation shared by every operation. Failures are ValidationErrors
 * with AWS's wording ("1 validation error detected: ..."); each protocol turns
 * them into its own code (IoT InvalidRequestException, Cognito InvalidParameterException).
 */
import { ValidationError } from './errors.js';
import { ATTRIBUTE_NAME, ATTRIBUTE_VALUE, POLICY_NAME, THING_NAME, THING_TYPE_NAME, type NameRule } from '../core/names.js';
import { COGNITO_ID } from '../core/aws-ids.js';

export interface StringRule {
  pattern?: RegExp;
  /** The pattern as AWS prints it in messages. */
  patternText?: string;
  min?: number;
  max?: number;
}

const rule = (pattern: RegExp, patternText: string, min: number, max: number): StringRule => ({ pattern, patternText, min, max });
/** A name rule of core/names.ts (the one the CLI checks too), as this module's rule. */
const named = (r: NameRule): StringRule => rule(r.pattern, r.awsPattern, r.min, r.max);

/** Patterns from the service models (facts sheet §3.1, §4). */
export const RULES = {
  thingName: named(THING_NAME),
  thingTypeName: named(THING_TYPE_NAME),
  policyName: named(POLICY_NAME),
  policyVersionId: rule(/^[0-9]+$/, '[0-9]+', 1, 10),
  attributeName: named(ATTRIBUTE_NAME),
  attributeValue: named(ATTRIBUTE_VALUE),
  certificateId: rule(/^[0-9a-fA-F]{64}$/, '(0x)?[a-fA-F0-9]+', 64, 64),
  identityPoolId: rule(COGNITO_ID, '[\\w-]+:[0-9a-f-]+', 1, 55),
  identityId: rule(COGNITO_ID, '[\\w-]+:[0-9a-f-]+', 1, 55),
  identityPoolName: rule(/^[\w\s+=,.@-]+$/, '[\\w\\s+=,.@-]+', 1, 128),
  roleArn: rule(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'arn:aws:iam::\\d{12}:role/[\\w+=,.@/-]+', 20, 2048),
  roleName: rule(/^[\w+=,.@-]+$/, '[\\w+=,.@-]+', 1, 64),
  // IAM (botocore's iam model)
  iamPath: rule(/^(\/|\/[\x21-\x7f]+\/)$/, '(\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)', 1, 512),
  iamPathPrefix: rule(/^\/[\x21-\x7f]*$/, '\\u002F[\\u0021-\\u007F]*', 1, 512),
  iamPolicyDocument: rule(/^[\t\n\r\x20-\xff]+$/, '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+', 1, 131072),
  iamMarker: rule(/^[\x20-\xff]+$/, '[\\u0020-\\u00FF]+', 1, 320),
  roleDescription: rule(/^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$/u, '[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*', 0, 1000),
  tagKey: rule(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+', 1, 128),
  tagValue: rule(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*', 0, 256),
} satisfies Record<string, StringRule>;

const show = (value: unknown) => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? 'null');

function problem(value: unknown, field: string, constraint: string): ValidationError {
  return new ValidationError(`1 validation error detected: Value ${show(value)} at '${field}' failed to satisfy constraint: ${constraint}`);
}

function check(value: string, field: string, r: StringRule): string {
  if (r.min !== undefined && value.length < r.min) throw problem(value, field, `Member must have length greater than or equal to ${r.min}`);
  if (r.max !== undefined && value.length > r.max) throw problem(value, field, `Member must have length less than or equal to ${r.max}`);
  if (r.pattern && !r.pattern.test(value)) throw problem(value, field, `Member must satisfy regular expression pattern: ${r.patternText ?? r.pattern.source}`);
  return value;
}

export function requireString(value: unknown, field: string, r: StringRule = {}): string {
  if (value === undefined || value === null) throw problem(null, field, 'Member must not be null');
  if (typeof value !== 'string') throw new ValidationError(`Value at '${field}' must be a string.`);
  return check(value, field, r);
}

export function optionalString(value: unknown, field: string, r: StringRule = {}): string | undefined {
  return value === undefined || value === null ? undefined : requireString(value, field, r);
}

export function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ValidationError(`Value at '${field}' must be a boolean.`);
  return value;
}

export function requireBoolean(value: unknown, field: string): boolean {
  const v = optionalBoolean(value, field);
  if (v === undefined) throw problem(null, field, 'Member must not be null');
  return v;
}

export function optionalInteger(value: unknown, field: string, range: { min?: number; max?: number } = {}): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ValidationError(`Value at '${field}' must be an integer.`);
  if (range.min !== undefined && value < range.min) throw problem(value, field, `Member must have value greater than or equal to ${range.min}`);
  if (range.max !== undefined && value > range.max) throw problem(value, field, `Member must have value less than or equal to ${range.max}`);
  return value;
}

export function optionalStringList(value: unknown, field: string, r: StringRule = {}): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new ValidationError(`Value at '${field}' must be a list.`);
  return value.map((v, i) => requireString(v, `${field}.${i + 1}.member`, r));
}

export function optionalStringMap(value: unknown, field: string, keyRule: StringRule = {}, valueRule: StringRule = {}): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(`Value at '${field}' must be a map.`);
  // Keys are the client's (`__proto__`, `constructor`): a map without a prototype keeps them as plain keys.
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    check(k, `${field}.key`, keyRule);
    out[k] = requireString(v, `${field}.${k}`, valueRule);
  }
  return out;
}

export function optionalObject(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(`Value at '${field}' must be an object.`);
  return value as Record<string, unknown>;
}

/** A query-string boolean (`true`/`false`), as the SDKs serialise it. */
export function queryBoolean(text: string | undefined, field: string): boolean | undefined {
  if (text === undefined) return undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw problem(text, field, 'Member must be a boolean (true or false)');
}

export function queryInteger(text: string | undefined, field: string, range: { min?: number; max?: number } = {}): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d{1,10}$/.test(text)) throw problem(text, field, 'Member must be an integer');
  return optionalInteger(Number(text), field, range);
}

export function oneOf<T extends string>(value: string | undefined, field: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw problem(value, field, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  return value as T;
}
