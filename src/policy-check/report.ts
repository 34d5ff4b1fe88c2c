/**
 * The report of `iotctl policy test` / `explain`: the engine's decision with
 * what helps read it (missing variables and the flags that fill them, hints,
 * who asked, which policies), and its human rendering: one readable screen.
 */
import { compileWildcard, parseArn, statementName, type DecidingStatementOf, type Decision, type ExplainedDecision, type StatementTrace } from '../core/policy/index.js';
import type { Colors } from '../io/colors.js';
import type { PolicySet } from './gather.js';
import { hintForVariable, type PreparedRequest, type RequestFlags } from './request.js';

export interface MissingVariable {
  name: string;
  hint: string;
}

/**
 * The decision as the engine gives it (core/policy/decide.ts), so its `reason` is the same sentence
 * `iotctl local logs` prints for the same decision, with what `policy test` adds to read it by.
 */
export type TestReport = Omit<ExplainedDecision, 'missingVariables' | 'policies' | 'unreadable' | 'cognito' | 'trace'> & {
  missingVariables: MissingVariable[];
  hints: string[];
  warnings: string[];
  principal: Record<string, string | string[] | null>;
  /** The IoT policies; the role's are in rolePolicies. */
  policies: string[];
  rolePolicies: string[] | null;
  cognito: NonNullable<ExplainedDecision['cognito']> | null;
  trace: StatementTrace[] | null;
};

/** The report of one decision; the trace only when asked for (`policy explain`, --explain). */
export function testReport(d: ExplainedDecision, set: PolicySet, prepared: PreparedRequest, flags: Pick<RequestFlags, 'thing'>, withTrace: boolean): TestReport {
  // Named one by one: this order is the --json shape.
  return {
    decision: d.decision,
    allowed: d.allowed,
    action: d.action,
    resource: d.resource,
    reason: d.reason,
    deciding: d.deciding,
    missingVariables: d.missingVariables.map((name) => ({ name, hint: hintForVariable(name, flags) })),
    hints: d.allowed ? [] : scopeHints(d.trace ?? [], prepared),
    warnings: prepared.warnings,
    principal: principalSummary(prepared),
    policies: set.iot.map((p) => p.name),
    rolePolicies: set.role ? set.role.map((p) => p.name) : null,
    cognito: d.cognito ?? null,
    trace: withTrace ? (d.trace ?? []) : null,
  };
}

/** Hints when a statement would match in another region or account than the request's. */
function scopeHints(trace: StatementTrace[], prepared: PreparedRequest): string[] {
  const hints = new Set<string>();
  const requested = parseArn(prepared.request.resource);
  if (!requested) return [];
  for (const t of trace) {
    if (!t.action.matched || t.resource.matched || t.resource.element !== 'Resource') continue;
    for (const p of t.resource.patterns) {
      const arn = parseArn(p.substituted);
      if (!arn || p.outcome === 'unresolved') continue;
      const concrete = (s: string) => s !== requested.region && s !== requested.account && !/[*?]/.test(s);
      const moved = `arn:${requested.partition}:${requested.service}:${arn.region}:${arn.account}:${requested.resource}`;
      if (!compileWildcard(p.substituted)(moved)) continue;
      if (arn.region !== requested.region && concrete(arn.region)) hints.add(`${t.policyName} Statement[${t.statementIndex}] names region ${arn.region}: pass --region ${arn.region}`);
      if (arn.account !== requested.account && concrete(arn.account)) hints.add(`${t.policyName} Statement[${t.statementIndex}] names account ${arn.account}: pass --account-id ${arn.account}`);
    }
  }
  return [...hints];
}

function principalSummary(prepared: PreparedRequest): TestReport['principal'] {
  const ctx = prepared.context;
  return {
    'client id': ctx.clientId ?? null,
    thing: ctx.thing?.name ?? null,
    'thing type': ctx.thing?.typeName ?? null,
    certificate: ctx.certificate?.id ?? null,
    'cognito id': ctx.cognito?.identityId ?? null,
    'source ip': ctx.sourceIp ?? null,
    region: prepared.region,
    account: prepared.account,
  };
}

const DECISION_TEXT: Record<Decision, string> = {
  ALLOWED: 'ALLOWED',
  EXPLICIT_DENY: 'DENIED (explicit deny)',
  IMPLICIT_DENY: 'DENIED (implicit deny: no statement allows it)',
};

function decidingLines(d: DecidingStatementOf, c: Colors): string[] {
  const lines = [`  ${c.bold(statementName(d))}${d.side === 'role' ? ' (role)' : ''}: ${d.effect}`, `      ${c.dim(JSON.stringify(d.statement))}`];
  if (d.notResource) lines.push(`      resource matches none of its NotResource patterns`);
  for (const r of d.matchedResources) lines.push(`      matched ${r}`);
  return lines;
}

const yes = (c: Colors, ok: boolean) => (ok ? c.green('yes') : c.red('no '));

function traceLines(t: StatementTrace, c: Colors): string[] {
  const verdict = t.applies ? (t.effect === 'Deny' ? c.red('applies: denies') : c.green('applies: allows')) : c.dim('does not apply');
  const lines = [`  ${c.bold(statementName(t))} (${t.effect}): ${verdict}`];
  const a = t.action;
  const actionText =
    a.element === 'Action'
      ? a.matched
        ? `matched by ${JSON.stringify(a.matchedBy)}`
        : `not in ${JSON.stringify(a.patterns)}`
      : a.matched
        ? `not excluded by NotAction ${JSON.stringify(a.patterns)}`
        : `excluded by NotAction ${JSON.stringify(a.matchedBy)}`;
  lines.push(`    ${a.element.padEnd(11)} ${yes(c, a.matched)} ${actionText}`);
  // A statement for other actions plays no part: its resources and conditions are noise.
  if (!a.matched) return lines;
  const r = t.resource;
  lines.push(`    ${r.element.padEnd(11)} ${yes(c, r.matched)}${r.element === 'NotResource' ? ' the resource must match none of:' : ''}`.trimEnd());
  for (const p of r.patterns) {
    const outcome = p.outcome === 'match' ? c.green('match   ') : p.outcome === 'no-match' ? c.dim('no match') : c.yellow('no value');
    const from = p.substituted !== p.pattern ? c.dim(` (from ${p.pattern})`) : '';
    const missing = p.missingVariables.length ? c.yellow(` ${p.missingVariables.map((m) => '${' + m + '}').join(', ')} has no value`) : '';
    lines.push(`        ${outcome} ${p.substituted}${from}${missing}`);
  }
  if (t.conditions.entries.length === 0) lines.push(`    ${'Condition'.padEnd(11)} ${yes(c, true)} (none)`);
  else {
    lines.push(`    ${'Condition'.padEnd(11)} ${yes(c, t.conditions.matched)}`.trimEnd());
    for (const e of t.conditions.entries) lines.push(`        ${e.matched ? c.green('true ') : c.red('false')} ${e.reason}`);
  }
  return lines;
}

export function formatReport(r: TestReport, c: Colors): string {
  const head = r.allowed ? c.bold(c.green(DECISION_TEXT[r.decision])) : c.bold(c.red(DECISION_TEXT[r.decision]));
  const lines = [`${head}  ${r.action} on ${r.resource}`, `  ${r.reason}`];
  if (r.cognito) lines.push(`  Cognito identity: role policy ${r.cognito.roleDecision}, IoT policies ${r.cognito.iotDecision}`);
  for (const d of r.deciding) lines.push(...decidingLines(d, c));
  for (const m of r.missingVariables) lines.push(`  ${c.yellow('missing:')} \${${m.name}} has no value: ${m.hint}`);
  for (const w of r.warnings) lines.push(`  ${c.yellow('warning:')} ${w}`);
  for (const h of r.hints) lines.push(`  ${c.dim('hint:')} ${h}`);
  const who = Object.entries(r.principal)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : v}`);
  lines.push(c.dim(`  as ${who.join(', ')}; policies: ${[...(r.rolePolicies ?? []).map((p) => `${p} (role)`), ...r.policies].join(', ')}`));
  if (r.trace) {
    lines.push('', 'Statement by statement:');
    for (const t of r.trace) lines.push(...traceLines(t, c));
  }
  return lines.join('\n');
}
