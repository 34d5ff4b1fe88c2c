/**
 * What `iotctl shadow watch` follows: a shadow's `update/documents` (its
 * whole state after every accepted update), `update/delta` and
 * `delete/accepted`, each printed as one event: NDJSON, or on a terminal the
 * state side by side (shadow/view.ts).
 */
import { parseShadowTopic, shadowTopic, type JsonObject, type ShadowRef } from '../core/shadow/index.js';
import type { Colors } from '../io/colors.js';
import type { IncomingMessage } from '../mqtt/types.js';
import { watchLine, watchText, type WatchEvent, type WatchRecord } from './view.js';

/** The topics watched, one SUBSCRIBE each (a refusal names its topic). */
export function watchFilters(ref: ShadowRef): string[] {
  return [shadowTopic(ref, 'update', 'documents'), shadowTopic(ref, 'update', 'delta'), shadowTopic(ref, 'delete', 'accepted')];
}

function eventOf(topic: string): WatchEvent | undefined {
  const parsed = parseShadowTopic(topic);
  if (parsed?.answer === 'documents' || parsed?.answer === 'delta') return parsed.answer;
  return parsed?.operation === 'delete' && parsed.answer === 'accepted' ? 'deleted' : undefined;
}

/** A message of the watched topics as a record; undefined for anything else (or a payload that is not a JSON object). */
export function watchRecord(ref: ShadowRef, m: IncomingMessage): WatchRecord | undefined {
  const event = eventOf(m.topic);
  if (!event) return undefined;
  let document: JsonObject;
  try {
    document = JSON.parse(m.payload.toString('utf8')) as JsonObject;
  } catch {
    return undefined;
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return undefined;
  return { event, ...ref, receivedAt: new Date(m.receivedAt).toISOString(), document };
}

/** Prints each event: NDJSON, or for a person (`colors`) the state side by side. */
export function watchRenderer(ref: ShadowRef, person: Colors | undefined): (m: IncomingMessage) => string {
  return (m) => {
    const record = watchRecord(ref, m);
    if (!record) return '';
    return person ? watchText(record, person) : watchLine(record);
  };
}
