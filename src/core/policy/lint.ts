/**
 * Lint: valid policies that probably do not do what their author meant. These
 * are warnings (or notes), never errors: AWS accepts every one of them.
 */
import { ActionMatcher, IOT_POLICY_ACTIONS, IOT_POLICY_SERVICES, canonicalAction } from './actions.js';
import { parseArn, resourceTypeFor, type IotResourceType } from './arn.js';
import type { ParsedPolicy, PolicyKind, StatementSpec } from './document.js';
import { parseOperator } from './operators.js';
import { compileWildcard, hasWildcard } from './wildcard.js';
import { isKnownVariable, isThingVariable, parseTemplate } from './variables.js';

export interface PolicyWarning {
  code: string;
  severity: 'warning' | 'note';
  /** Where: `Statement[1].Resource[0]`, or '' for the whole document. */
  path: string;
  message: string;
}

const KNOWN_LOWER = IOT_POLICY_ACTIONS.map((a) => a.toLowerCase());

function elementPath(s: StatementSpec, element: string, i: number, count: number): string {
  return count > 1 || Array.isArray(s.source[element]) ? `${s.path}.${element}[${i}]` : `${s.path}.${element}`;
}

function actionElement(s: StatementSpec): string {
  return s.notAction ? 'NotAction' : 'Action';
}

function resourceElement(s: StatementSpec): string {
  return s.notResource ? 'NotResource' : 'Resource';
}

/** Edit distance, for "did you mean" on misspelt action names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Whether an Allow statement (via Action or NotAction) covers the action. */
function allowsAction(s: StatementSpec, action: string): boolean {
  return s.effect === 'Allow' && new ActionMatcher(s.actions).matches(action.toLowerCase()) !== s.notAction;
}

/** Text outside `${...}` (variables may legitimately contain anything). */
function withoutVariables(text: string): string {
  return parseTemplate(text)
    .map((p) => ('glob' in p ? p.glob : ''))
    .join('');
}

/** Whether a resource pattern could name a resource of this type. */
function couldBeType(pattern: string, type: IotResourceType): boolean {
  if (pattern === '*') return true;
  const arn = parseArn(pattern);
  if (!arn) return true;
  if (arn.type === undefined) return hasWildcard(arn.resource);
  if (arn.type === type) return true;
  return hasWildcard(arn.type) && compileWildcard(arn.type)(type);
}

/** A pattern (without variables) that accepts any client id. */
function acceptsAnyClient(pattern: string): boolean {
  if (pattern.includes('${')) return false;
  if (pattern === '*') return true;
  const arn = parseArn(pattern);
  if (!arn) return false;
  const region = arn.region.includes('*') || arn.region.includes('?') ? 'us-east-1' : arn.region;
  const account = arn.account.includes('*') || arn.account.includes('?') ? '123456789012' : arn.account;
  const match = compileWildcard(pattern);
  const probe = (id: string) => match(`arn:${arn.partition}:${arn.service}:${region}:${account}:client/${id}`);
  return probe('\u0001some-other-device') && probe('x');
}

class Linter {
  readonly warnings: PolicyWarning[] = [];
  warn(code: string, path: string, message: string): void {
    this.warnings.push({ code, severity: 'warning', path, message });
  }
  note(code: string, path: string, message: string): void {
    this.warnings.push({ code, severity: 'note', path, message });
  }
}

function lintActions(l: Linter, s: StatementSpec, kind: PolicyKind): void {
  const element = actionElement(s);
  s.actions.forEach((action, i) => {
    const path = elementPath(s, element, i, s.actions.length);
    const lower = action.toLowerCase();
    if (s.effect === 'Allow' && !s.notAction && (lower === '*' || lower === 'iot:*')) {
      l.warn('ACTION_WILDCARD', path, `"${action}" allows every AWS IoT action (connect, publish, subscribe, receive, shadows, jobs, retained messages, ...); list only the actions the device needs`);
      return;
    }
    if (kind !== 'iot' || lower === '*') return;
    const service = lower.slice(0, lower.indexOf(':'));
    if (!IOT_POLICY_SERVICES.includes(service)) {
      l.warn('NOT_AN_IOT_ACTION', path, `"${action}" is not an AWS IoT action; an IoT policy only authorizes iot: (and greengrass:) actions`);
      return;
    }
    if (service !== 'iot') return;
    if (hasWildcard(lower)) {
      const m = compileWildcard(lower);
      if (!KNOWN_LOWER.some((a) => m(a))) l.warn('UNKNOWN_ACTION', path, `"${action}" matches none of the actions AWS IoT checks (${IOT_POLICY_ACTIONS.join(', ')})`);
      return;
    }
    if (canonicalAction(action)) return;
    const best = IOT_POLICY_ACTIONS.map((a) => ({ a, d: distance(a.toLowerCase(), lower) })).sort((x, y) => x.d - y.d)[0]!;
    l.warn('UNKNOWN_ACTION', path, `"${action}" is not an action AWS IoT checks` + (best.d <= 3 ? `; did you mean ${best.a}?` : ''));
  });
  if (s.effect === 'Allow' && s.notAction) {
    l.warn('ALLOW_NOT_ACTION', `${s.path}.NotAction`, 'Allow with NotAction allows every action except those listed, including actions added to AWS IoT later');
  }
}

const EXPECTED_HINT: Record<IotResourceType, string> = {
  client: 'a client id',
  topic: 'a topic name',
  topicfilter: 'a topic filter as sent in SUBSCRIBE',
  thing: 'a thing name',
  cert: 'a certificate id',
  policy: 'a policy name',
};

function lintResources(l: Linter, s: StatementSpec): void {
  const element = resourceElement(s);
  const onlyListRetained = s.actions.every((a) => a.toLowerCase() === 'iot:listretainedmessages');
  s.resources.forEach((resource, i) => {
    const path = elementPath(s, element, i, s.resources.length);
    if (resource === '*' && s.effect === 'Allow' && !s.notResource && !onlyListRetained) {
      l.warn('RESOURCE_WILDCARD', path, '"*" allows the actions on every client id, topic and topic filter; scope it, e.g. arn:aws:iot:<region>:<account>:topic/things/${iot:Connection.Thing.ThingName}/*');
    }
    const arn = parseArn(resource);
    const plain = withoutVariables(arn?.name ?? '');
    if (arn && (plain.includes('+') || plain.includes('#'))) {
      const literal = `"+" and "#" are literal characters in policy resources, not MQTT wildcards`;
      if (arn.type === 'topicfilter') {
        l.note('MQTT_WILDCARD_LITERAL', path, `${literal}: "${arn.name}" authorizes only a SUBSCRIBE to exactly that filter; to allow any filter under a prefix use * (any characters, / included) or ? (one character)`);
      } else {
        const never = arn.type === 'topic' ? ' (a topic name never contains them)' : '';
        l.warn('MQTT_WILDCARD_LITERAL', path, `${literal}: "${arn.name}" matches only names that literally contain them${never}; use * (any characters, / included) or ? (one character)`);
      }
    }
    for (const ref of parseTemplate(resource).flatMap((p) => ('ref' in p ? [p.ref] : []))) {
      if (ref.select === 'list') l.warn('LIST_VARIABLE_IN_RESOURCE', path, `\${${ref.name}} has several values and is never substituted into a resource; use it in a ForAnyValue:/ForAllValues: condition`);
    }
  });
  // An explicitly named action whose resource type none of the resources can have.
  if (s.notAction || s.notResource) return;
  for (const action of s.actions) {
    if (hasWildcard(action)) continue;
    const type = resourceTypeFor(action);
    if (!type || s.resources.some((r) => couldBeType(r, type))) continue;
    const sample = s.resources[0]!;
    const arn = parseArn(sample);
    const fixed = arn?.type ? sample.replace(`:${arn.type}/`, `:${type}/`) : `arn:aws:iot:<region>:<account>:${type}/<name>`;
    l.warn(
      'WRONG_RESOURCE_TYPE',
      `${s.path}.Resource`,
      `${canonicalAction(action) ?? action} is checked against ${type}/ ARNs (${EXPECTED_HINT[type]}), but this statement names only ${[...new Set(s.resources.map((r) => (parseArn(r)?.type ?? r) + '/'))].join(', ')} resources, so it never grants ${canonicalAction(action) ?? action}; use e.g. ${fixed}`,
    );
  }
}

function lintConditions(l: Linter, s: StatementSpec): void {
  for (const c of s.conditions) {
    const op = parseOperator(c.operator);
    if ('error' in op) continue;
    if (op.set === 'all' && !op.ifExists && s.effect === 'Allow') {
      l.note('FORALLVALUES_MISSING_KEY', `${s.path}.Condition.${c.operator}`, `ForAllValues: is true when ${c.key} has no value at all (IAM semantics), so this Allow also applies to requests without it; add a Null condition if the key must be present`);
    }
  }
}

function lintVariables(l: Linter, parsed: ParsedPolicy): void {
  let thingNoted = false;
  for (const s of parsed.statements) {
    const texts: [string, string][] = [
      ...s.resources.map((r, i): [string, string] => [elementPath(s, resourceElement(s), i, s.resources.length), r]),
      ...s.conditions.flatMap((c) => c.values.map((v): [string, string] => [`${s.path}.Condition.${c.operator}["${c.key}"]`, v])),
    ];
    for (const [path, text] of texts) {
      if (!text.includes('${')) continue;
      if (!parsed.substitutesVariables) {
        l.warn('VARIABLES_NEED_VERSION', path, `policy variables are resolved only with "Version": "2012-10-17"; without it "${text}" is matched as literal text`);
        continue;
      }
      for (const part of parseTemplate(text)) {
        if (!('ref' in part)) continue;
        const { key, name } = part.ref;
        if (!isKnownVariable(key)) {
          l.warn('UNKNOWN_VARIABLE', path, `\${${name}} is not an AWS IoT policy variable, so on AWS it has no value and this never matches (iotctl policy test can set it with --var)`);
        } else if (isThingVariable(key) && !thingNoted) {
          thingNoted = true;
          l.note(
            'THING_VARIABLE',
            path,
            `\${${name}} has a value only when a thing is attached to the principal (AttachThingPrincipal; for a non-exclusive attachment the client id must equal the thing name); otherwise the statement grants nothing`,
          );
        }
      }
    }
  }
}

function lintPolicyWide(l: Linter, parsed: ParsedPolicy): void {
  const allows = (action: string) => parsed.statements.some((s) => allowsAction(s, action));
  if (allows('iot:Subscribe') && !allows('iot:Receive')) {
    l.warn('SUBSCRIBE_WITHOUT_RECEIVE', '', 'the policy allows iot:Subscribe but never iot:Receive: subscriptions succeed, yet no message is delivered (Receive is checked on every delivery, on topic/ ARNs)');
  }
  if (allows('iot:RetainPublish') && !allows('iot:Publish')) {
    l.warn('RETAIN_WITHOUT_PUBLISH', '', 'iot:RetainPublish is not enough to publish a retained message: it also needs iot:Publish on the same topic');
  }
  for (const s of parsed.statements) {
    if (!allowsAction(s, 'iot:Connect') || s.notResource) continue;
    s.resources.forEach((r, i) => {
      if (acceptsAnyClient(r)) {
        l.warn(
          'CONNECT_ANY_CLIENT',
          elementPath(s, 'Resource', i, s.resources.length),
          `"${r}" lets a client connect with any client id, including another device's id (which disconnects that device); use client/\${iot:Connection.Thing.ThingName} or a fixed prefix`,
        );
      }
    });
  }
  if (parsed.version === undefined) {
    l.note('NO_VERSION', '', 'the policy has no Version; add "Version": "2012-10-17" (without it, policy variables are literal text)');
  }
}

/** Warnings and notes for a parsed policy (run it on a policy without errors). */
export function lintPolicy(parsed: ParsedPolicy, options: { kind?: PolicyKind } = {}): PolicyWarning[] {
  const l = new Linter();
  const kind = options.kind ?? 'iot';
  for (const s of parsed.statements) {
    lintActions(l, s, kind);
    if (s.effect === 'Allow' && s.notResource) {
      l.note('ALLOW_NOT_RESOURCE', `${s.path}.NotResource`, 'Allow with NotResource allows the actions on every resource except those listed');
    }
    if (kind === 'iot') lintResources(l, s);
    lintConditions(l, s);
  }
  lintVariables(l, parsed);
  if (kind === 'iot') lintPolicyWide(l, parsed);
  // What AWS accepts but this evaluator cannot evaluate: said once, with the rule that keeps it safe.
  for (const u of parsed.unsupported) l.warn(u.code, u.path, `${u.message.startsWith(`${u.path} `) ? u.message.slice(u.path.length + 1) : u.message}; ${UNREADABLE_RULE}`);
  return l.warnings;
}

/** How a statement the evaluator cannot read is enforced, in the words every output uses. */
export const UNREADABLE_RULE = 'iotctl evaluates this statement fail-closed: as a Deny it applies to every request its actions cover, as an Allow it grants nothing';
