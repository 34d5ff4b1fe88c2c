/**
 * Parsing and validation of policy documents. Errors name the exact element
 * (`Statement[2].Effect`); the result is a normalized form the compiler uses.
 */
import { jsonErrorOffset, lineColumn } from './json-position.js';
import { checkConditionValue, parseOperator } from './operators.js';

export type Effect = 'Allow' | 'Deny';

export interface ConditionSpec {
  operator: string;
  key: string;
  values: string[];
}

export interface StatementSpec {
  /** Position in the Statement array (0 when Statement is a single object). */
  index: number;
  /** `Statement[2]`, or `Statement` when the document has a single statement object. */
  path: string;
  sid?: string;
  effect: Effect;
  actions: string[];
  notAction: boolean;
  resources: string[];
  notResource: boolean;
  conditions: ConditionSpec[];
  /** The statement as written, for explanations. */
  source: Record<string, unknown>;
  /**
   * The statement's own problems (errors, and what the evaluator cannot
   * evaluate). A statement with any cannot be evaluated as written; the
   * compiler makes it fail closed (compile.ts).
   */
  problems?: PolicyProblem[];
  /** Whether Effect and Action/NotAction were readable (they still scope a statement that is not). */
  effectReadable: boolean;
  actionsReadable: boolean;
}

export interface PolicyProblem {
  code: string;
  /** Where: `Statement[1].Resource[0]`, or '' for the whole document. */
  path: string;
  message: string;
  /** Valid for AWS, but beyond iotctl's evaluator (not an error: the statement is evaluated fail-closed). */
  unsupported?: true;
}

export interface ParsedPolicy {
  version?: string;
  /** Policy variables are resolved only with Version 2012-10-17 (IAM rule). */
  substitutesVariables: boolean;
  statements: StatementSpec[];
  /** Characters excluding whitespace: the measure of the AWS size limit. */
  size: number;
  maxSize: number;
  /** What makes the document invalid (AWS refuses it). */
  errors: PolicyProblem[];
  /** What AWS accepts but iotctl cannot evaluate: those statements count as matching (a Deny denies, an Allow grants nothing). */
  unsupported: PolicyProblem[];
  /** The document as parsed (undefined when it is not JSON). */
  document: unknown;
}

export type PolicyKind = 'iot' | 'iam';

export interface ParseOptions {
  /** 'iot' (2,048-character limit) or 'iam' (an IAM role policy for Cognito: 6,144). */
  kind?: PolicyKind;
  maxSize?: number;
}

export const IOT_POLICY_MAX_SIZE = 2048;
export const IAM_POLICY_MAX_SIZE = 6144;
export const VERSION_2012 = '2012-10-17';
export const VERSION_2008 = '2008-10-17';

const TOP_LEVEL = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const ACTION = /^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$/;

/** Characters AWS counts toward the limit: everything but whitespace. */
export function policySize(text: string): number {
  let n = 0;
  for (const ch of text) if (!/\s/.test(ch)) n++;
  return n;
}

function jsonError(text: string, err: unknown): PolicyProblem {
  const offset = jsonErrorOffset(text);
  const near = offset === undefined ? '' : JSON.stringify(text.slice(offset, offset + 12));
  const message =
    offset === undefined
      ? `The policy is not valid JSON: ${(err as Error).message}`
      : offset >= text.length
        ? `The policy is not valid JSON: it ends too early (${lineColumn(text, offset)})`
        : `The policy is not valid JSON: unexpected ${near} at ${lineColumn(text, offset)}`;
  return { code: 'POLICY_NOT_JSON', path: '', message };
}

/** Splits an ARN on `:` outside `${...}` (Cognito variables contain a colon). */
export function arnSegments(arn: string): string[] {
  const out: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < arn.length; i++) {
    const ch = arn[i]!;
    if (ch === '$' && arn[i + 1] === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    if (ch === ':' && depth === 0 && out.length < 5) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

class Checker {
  readonly errors: PolicyProblem[] = [];
  readonly unsupported: PolicyProblem[] = [];
  /** Every problem in order, for the statement being checked. */
  readonly all: PolicyProblem[] = [];
  error(code: string, path: string, message: string, unsupported = false): void {
    const problem: PolicyProblem = { code, path, message: path ? `${path} ${message}` : message };
    if (unsupported) problem.unsupported = true;
    (unsupported ? this.unsupported : this.errors).push(problem);
    this.all.push(problem);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A string or a non-empty array of strings, as Action and Resource take; `check`
 * returns a problem with one item (reported at that item's own index).
 */
function stringList(c: Checker, value: unknown, path: string, what: string, check: (item: string) => string | undefined): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && value.length === 0) {
    c.error('POLICY_EMPTY_LIST', path, `must not be an empty list; give at least one ${what}`);
    return [];
  }
  const out: string[] = [];
  list.forEach((item, i) => {
    const at = Array.isArray(value) ? `${path}[${i}]` : path;
    if (typeof item !== 'string') return c.error('POLICY_BAD_TYPE', at, `must be a string (${what}), not ${JSON.stringify(item)}`);
    if (item.length === 0) return c.error('POLICY_EMPTY_VALUE', at, `must not be empty`);
    const problem = check(item);
    if (problem) c.error(what === 'action' ? 'POLICY_BAD_ACTION' : 'POLICY_BAD_RESOURCE', at, problem);
    out.push(item);
  });
  return out;
}

function actionProblem(action: string): string | undefined {
  return ACTION.test(action) ? undefined : `"${action}" is not an action; write service:Action, e.g. iot:Publish, iot:* or *`;
}

function resourceProblem(resource: string): string | undefined {
  if (resource === '*') return undefined;
  if (!resource.startsWith('arn:')) {
    const hint = /^(client|topic|topicfilter|thing|cert|policy)\//.test(resource) ? `arn:aws:iot:<region>:<account>:${resource}` : 'arn:aws:iot:<region>:<account>:topic/<name>';
    return `"${resource}" is not an ARN or "*"; write e.g. ${hint}`;
  }
  if (arnSegments(resource).length < 6) return `"${resource}" is not a complete ARN; the form is arn:<partition>:<service>:<region>:<account>:<resource>`;
  return undefined;
}

function checkCondition(c: Checker, value: unknown, path: string): StatementSpec['conditions'] {
  const out: StatementSpec['conditions'] = [];
  if (!isObject(value)) {
    c.error('POLICY_BAD_CONDITION', path, 'must be an object of operators, e.g. {"StringEquals": {"iot:ClientId": "dev1"}}');
    return out;
  }
  for (const [operator, block] of Object.entries(value)) {
    const opPath = `${path}.${operator}`;
    const op = parseOperator(operator);
    if ('error' in op) {
      if (op.unsupported) c.error('POLICY_UNSUPPORTED_OPERATOR', path, `has ${op.error}`, true);
      else c.error('POLICY_BAD_OPERATOR', path, `has ${op.error}`);
      continue;
    }
    if (!isObject(block) || Object.keys(block).length === 0) {
      c.error('POLICY_BAD_CONDITION', opPath, 'must be a non-empty object of condition keys to values');
      continue;
    }
    for (const [key, raw] of Object.entries(block)) {
      const keyPath = `${opPath}["${key}"]`;
      const list = Array.isArray(raw) ? raw : [raw];
      if (list.length === 0) {
        c.error('POLICY_EMPTY_LIST', keyPath, 'must not be an empty list');
        continue;
      }
      const values: string[] = [];
      list.forEach((item, i) => {
        const at = Array.isArray(raw) ? `${keyPath}[${i}]` : keyPath;
        if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
          c.error('POLICY_BAD_TYPE', at, `must be a string, number or boolean, not ${JSON.stringify(item)}`);
          return;
        }
        const text = String(item);
        const problem = checkConditionValue(op, text);
        if (problem) c.error('POLICY_BAD_CONDITION_VALUE', at, `is invalid: ${problem}`);
        else values.push(text);
      });
      if (op.family === 'null' && values.length > 1) c.error('POLICY_BAD_CONDITION_VALUE', keyPath, 'takes one value (true or false)');
      out.push({ operator, key, values });
    }
  }
  return out;
}

function checkStatement(c: Checker, raw: unknown, index: number, path: string): StatementSpec | undefined {
  if (!isObject(raw)) {
    c.error('POLICY_BAD_STATEMENT', path, 'must be an object with Effect, Action and Resource');
    return undefined;
  }
  const first = c.all.length;
  for (const key of Object.keys(raw)) {
    if (key === 'Principal' || key === 'NotPrincipal') c.error('POLICY_UNSUPPORTED_ELEMENT', `${path}.${key}`, 'is not allowed: the principal is whoever the policy is attached to');
    else if (!STATEMENT_KEYS.has(key)) {
      const known = [...STATEMENT_KEYS].find((k) => k.toLowerCase() === key.toLowerCase());
      c.error('POLICY_UNKNOWN_ELEMENT', `${path}.${key}`, `is not a statement element` + (known ? ` (did you mean ${known}?)` : ` (known: ${[...STATEMENT_KEYS].join(', ')})`));
    }
  }
  const effect = raw.Effect;
  if (effect === undefined) c.error('POLICY_MISSING_EFFECT', `${path}.Effect`, 'is missing; it must be Allow or Deny');
  else if (effect !== 'Allow' && effect !== 'Deny') c.error('POLICY_BAD_EFFECT', `${path}.Effect`, `must be Allow or Deny, not ${JSON.stringify(effect)}`);

  const pick = (yes: 'Action' | 'Resource', no: 'NotAction' | 'NotResource') => {
    const hasYes = raw[yes] !== undefined;
    const hasNo = raw[no] !== undefined;
    if (hasYes && hasNo) c.error('POLICY_BOTH_ELEMENTS', path, `has both ${yes} and ${no}; use one`);
    if (!hasYes && !hasNo) c.error(`POLICY_MISSING_${yes.toUpperCase()}`, path, `needs ${yes} (or ${no})`);
    const key = hasNo && !hasYes ? no : yes;
    return { key, value: raw[key], not: key === no };
  };
  const action = pick('Action', 'NotAction');
  const beforeActions = c.all.length;
  const actions = action.value === undefined ? [] : stringList(c, action.value, `${path}.${action.key}`, 'action', actionProblem);
  const actionsReadable = c.all.length === beforeActions && actions.length > 0;
  const resource = pick('Resource', 'NotResource');
  const resources = resource.value === undefined ? [] : stringList(c, resource.value, `${path}.${resource.key}`, 'resource ARN', resourceProblem);

  let sid: string | undefined;
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== 'string') c.error('POLICY_BAD_TYPE', `${path}.Sid`, 'must be a string');
    else sid = raw.Sid;
  }
  const conditions = raw.Condition === undefined ? [] : checkCondition(c, raw.Condition, `${path}.Condition`);
  const spec: StatementSpec = {
    index,
    path,
    effect: effect === 'Deny' ? 'Deny' : 'Allow',
    actions,
    notAction: action.not,
    resources,
    notResource: resource.not,
    conditions,
    source: raw,
    effectReadable: effect === 'Allow' || effect === 'Deny',
    actionsReadable,
  };
  if (sid !== undefined) spec.sid = sid;
  if (c.all.length > first) spec.problems = c.all.slice(first);
  return spec;
}

/**
 * Parses and validates a policy document (JSON text or an already parsed
 * value). Never throws: problems are in `errors`, each with its path.
 */
export function parsePolicy(input: string | object, options: ParseOptions = {}): ParsedPolicy {
  const maxSize = options.maxSize ?? (options.kind === 'iam' ? IAM_POLICY_MAX_SIZE : IOT_POLICY_MAX_SIZE);
  const c = new Checker();
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  const result: ParsedPolicy = { substitutesVariables: false, statements: [], size: policySize(text), maxSize, errors: c.errors, unsupported: c.unsupported, document: undefined };
  let doc: unknown = input;
  if (typeof input === 'string') {
    if (input.trim() === '') {
      c.error('POLICY_EMPTY', '', 'The policy document is empty.');
      return result;
    }
    try {
      doc = JSON.parse(input);
    } catch (err) {
      c.errors.push(jsonError(input, err));
      return result;
    }
  }
  result.document = doc;
  if (result.size > maxSize) {
    c.error('POLICY_TOO_LARGE', '', `The policy is ${result.size} characters long without whitespace; ${options.kind === 'iam' ? 'IAM' : 'AWS IoT'} allows at most ${maxSize}.`);
  }
  if (!isObject(doc)) {
    c.error('POLICY_NOT_OBJECT', '', 'The policy must be a JSON object with Version and Statement.');
    return result;
  }
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL.has(key)) c.error('POLICY_UNKNOWN_ELEMENT', key, `is not a top-level policy element (known: Version, Id, Statement)`);
  }
  if (doc.Version !== undefined) {
    if (doc.Version !== VERSION_2012 && doc.Version !== VERSION_2008) {
      c.error('POLICY_BAD_VERSION', 'Version', `must be "${VERSION_2012}" (or the old "${VERSION_2008}"), not ${JSON.stringify(doc.Version)}`);
    } else result.version = doc.Version;
  }
  result.substitutesVariables = result.version === VERSION_2012;
  if (doc.Id !== undefined && typeof doc.Id !== 'string') c.error('POLICY_BAD_TYPE', 'Id', 'must be a string');
  const statements = doc.Statement;
  if (statements === undefined) {
    c.error('POLICY_MISSING_STATEMENT', 'Statement', 'is missing; a policy needs at least one statement');
    return result;
  }
  if (Array.isArray(statements) && statements.length === 0) c.error('POLICY_EMPTY_LIST', 'Statement', 'must not be an empty list');
  const list = Array.isArray(statements) ? statements : [statements];
  list.forEach((raw, i) => {
    const spec = checkStatement(c, raw, i, Array.isArray(statements) ? `Statement[${i}]` : 'Statement');
    if (spec) result.statements.push(spec);
  });
  const seen = new Map<string, number>();
  for (const s of result.statements) {
    if (s.sid === undefined) continue;
    const first = seen.get(s.sid);
    if (first !== undefined) c.error('POLICY_DUPLICATE_SID', `${s.path}.Sid`, `"${s.sid}" is already used by Statement[${first}]; Sids must be unique`);
    else seen.set(s.sid, s.index);
  }
  return result;
}
