import { usageError } from '../core/errors.js';
import { checkName, THING_NAME } from '../core/names.js';
import type { ProvisionEnvironment, ProvisionPlan, ProvisionResult } from './provision.js';

/** One thing of a fleet: its name and the attributes from its CSV row. */
export interface FleetEntry {
  thingName: string;
  attributes: Record<string, string>;
}

/** `--count N --prefix pi-` → pi-001 .. pi-N, zero-padded to a common width so they sort. */
export function numberedThings(prefix: string, count: number): FleetEntry[] {
  const width = Math.max(2, String(count).length);
  return Array.from({ length: count }, (_, i) => ({ thingName: `${prefix}${String(i + 1).padStart(width, '0')}`, attributes: {} }));
}

/**
 * A CSV with a header row; the `thingName` column (or the first one) names the
 * thing, every other non-empty column becomes an attribute. Quoted fields are
 * allowed. Every name is checked before anything is created.
 */
export function parseFleetCsv(text: string, file: string): FleetEntry[] {
  const rows = text
    .split(/\r?\n/)
    .map((line, i) => ({ line: i + 1, cells: splitCsvLine(line) }))
    .filter((r) => r.cells.some((c) => c.trim() !== ''));
  if (rows.length < 2) throw usageError('FLEET_EMPTY', `${file} has no things: it needs a header row and one row per thing.`, 'e.g. "thingName,room" then "pi01,kitchen"');
  const header = rows[0]!.cells.map((c) => c.trim());
  const nameColumn = Math.max(0, header.indexOf('thingName'));
  const seen = new Set<string>();
  return rows.slice(1).map(({ line, cells }) => {
    const thingName = (cells[nameColumn] ?? '').trim();
    const problem = checkName(THING_NAME, thingName);
    if (problem) throw usageError('FLEET_INVALID_ROW', `${file} line ${line}: ${problem}`);
    if (seen.has(thingName)) throw usageError('FLEET_DUPLICATE', `${file} line ${line}: the thing ${thingName} appears twice.`);
    seen.add(thingName);
    const attributes: Record<string, string> = {};
    header.forEach((column, i) => {
      const value = (cells[i] ?? '').trim();
      if (i !== nameColumn && column && value) attributes[column] = value;
    });
    return { thingName, attributes };
  });
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** Runs `work` over the items with at most `limit` at a time; results keep the input order. */
export async function mapBounded<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface FleetOutcome {
  thingName: string;
  ok: boolean;
  result?: ProvisionResult;
  error?: { code: string; message: string };
}

export interface FleetSummary {
  total: number;
  provisioned: number;
  failed: number;
  policy: string;
  policyCreated: boolean;
}

/**
 * Provisions many things, `concurrency` at a time, with one shared policy
 * (made once, up front, so parallel runs do not race to create it). A thing
 * that fails does not stop the others; each outcome is reported as it comes.
 */
export async function provisionFleet(
  plans: ProvisionPlan[],
  env: ProvisionEnvironment,
  options: { concurrency: number; onOutcome(outcome: FleetOutcome, done: number, failed: number): void },
): Promise<{ outcomes: FleetOutcome[]; summary: FleetSummary }> {
  // Loaded here, not at the top: reading a fleet's CSV (and --dry-run) loads no AWS SDK.
  const [{ provision }, { ensurePolicy }, { toIotctlError }] = await Promise.all([import('./provision.js'), import('../iot/policies.js'), import('../aws/errors.js')]);
  const policy = await ensurePolicy(env.iot, plans[0]!.policy.name, plans[0]!.policy.document);
  let done = 0;
  let failed = 0;
  const outcomes = await mapBounded(plans, options.concurrency, async (plan): Promise<FleetOutcome> => {
    let outcome: FleetOutcome;
    try {
      outcome = { thingName: plan.thingName, ok: true, result: await provision({ ...plan, policy: { name: policy.name } }, env) };
    } catch (err) {
      const e = toIotctlError(err);
      failed++;
      outcome = { thingName: plan.thingName, ok: false, error: { code: e.code, message: e.message } };
    }
    done++;
    options.onOutcome(outcome, done, failed);
    return outcome;
  });
  return { outcomes, summary: { total: plans.length, provisioned: plans.length - failed, failed, policy: policy.name, policyCreated: policy.created } };
}
