/**
 * How `iotctl shadow` shows shadows to a person: desired, reported and delta
 * side by side, one row per leaf (nested keys joined with dots, arrays as
 * values, as the service compares them), and what `shadow watch` prints for
 * each event, on a terminal and as NDJSON. `--json` prints AWS's documents
 * as they are instead.
 */
import { deltaOf, isObject, type Json, type JsonObject, type ShadowRef } from '../core/shadow/index.js';
import type { Colors } from '../io/colors.js';
import { formatTable, truncate } from '../io/table.js';

const MAX_VALUE_WIDTH = 40;

/** The leaves of a section by dotted path: `{"color": {"r": 1}}` → `color.r` = 1. */
function leaves(section: Json | undefined, prefix = '', into = new Map<string, Json>()): Map<string, Json> {
  if (!isObject(section)) {
    if (prefix !== '' && section !== undefined) into.set(prefix, section);
    return into;
  }
  for (const key of Object.keys(section)) leaves(section[key], prefix === '' ? key : `${prefix}.${key}`, into);
  return into;
}

const show = (value: Json | undefined) => (value === undefined ? '' : truncate(JSON.stringify(value), MAX_VALUE_WIDTH));

/** `lamp`, `lamp (shadow "config")`. */
export function shadowLabel(ref: ShadowRef): string {
  return ref.shadowName === undefined ? ref.thingName : `${ref.thingName} (shadow "${ref.shadowName}")`;
}

/** The state as rows: KEY, DESIRED, REPORTED and, when asked for, DELTA; then whether it is in sync. */
export function stateTable(state: { desired?: Json; reported?: Json; delta?: Json }, c: Colors, withDelta = true): string {
  const desired = leaves(state.desired);
  const reported = leaves(state.reported);
  const delta = leaves(state.delta);
  const keys = [...new Set([...desired.keys(), ...reported.keys()])];
  if (keys.length === 0) return c.dim('(empty: no desired or reported state)');
  const rows = keys.map((k) => {
    const row = [k, show(desired.get(k)), show(reported.get(k))];
    if (withDelta) row.push(delta.has(k) ? c.yellow(show(delta.get(k))) : '');
    return row;
  });
  const table = formatTable(withDelta ? ['KEY', 'DESIRED', 'REPORTED', 'DELTA'] : ['KEY', 'DESIRED', 'REPORTED'], rows);
  if (!withDelta) return table;
  const sync = delta.size === 0 ? c.green('in sync: reported matches desired') : c.yellow(`out of sync: ${delta.size} desired value${delta.size === 1 ? '' : 's'} not reported yet`);
  return `${table}\n${sync}`;
}

/** GetThingShadow's document for a person. */
export function renderDocument(ref: ShadowRef, doc: JsonObject, c: Colors): string {
  const state = isObject(doc.state) ? doc.state : {};
  return `${c.bold(shadowLabel(ref))} ${c.dim(`version ${String(doc.version)}`)}\n${stateTable(state, c)}`;
}

/** An accepted update for a person: the new version and what was sent (null deletes). */
export function renderAccepted(ref: ShadowRef, doc: JsonObject, c: Colors): string {
  const state = isObject(doc.state) ? doc.state : {};
  return `updated ${shadowLabel(ref)}: ${c.bold(`version ${String(doc.version)}`)}\n${stateTable(state, c, false)}`;
}

// ------------------------------------------------------------------ watch

export type WatchEvent = 'documents' | 'delta' | 'deleted';

export interface WatchRecord {
  event: WatchEvent;
  thingName: string;
  shadowName?: string;
  /** When it arrived (ISO 8601). */
  receivedAt: string;
  /** The service's document, as published. */
  document: JsonObject;
}

/** One line of NDJSON per event. */
export function watchLine(record: WatchRecord): string {
  return JSON.stringify(record) + '\n';
}

/** An event for a person at a terminal: the current state side by side after each update, the delta, a delete. */
export function watchText(record: WatchRecord, c: Colors): string {
  const time = c.dim(record.receivedAt.slice(11, 19));
  const d = record.document;
  const token = typeof d.clientToken === 'string' ? c.dim(` (clientToken ${d.clientToken})`) : '';
  switch (record.event) {
    case 'documents': {
      const current = isObject(d.current) ? d.current : {};
      const state = isObject(current.state) ? current.state : {};
      const metadata = isObject(current.metadata) ? current.metadata : {};
      const delta = deltaOf(isObject(state.desired) ? state.desired : undefined, isObject(state.reported) ? state.reported : undefined, isObject(metadata.desired) ? metadata.desired : undefined);
      return `${time} ${c.bold(`version ${String(current.version)}`)}${token}\n${stateTable({ ...state, delta: delta?.state }, c)}\n`;
    }
    case 'delta': {
      const changes = [...leaves(d.state).entries()].map(([k, v]) => `${k}=${show(v)}`).join(' ');
      return `${time} ${c.yellow('delta')} ${c.dim(`version ${String(d.version)}`)}: ${changes}${token}\n`;
    }
    case 'deleted':
      return `${time} ${c.red('deleted')} ${c.dim(`(it was at version ${String(d.version)})`)}${token}\n`;
  }
}
