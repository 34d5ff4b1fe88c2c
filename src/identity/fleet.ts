import { usageError } from '../core/errors.js';
import { checkName, THING_NAME } from '../core/names.js';

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
