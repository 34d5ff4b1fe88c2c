/**
 * The Device Shadow's rules, as AWS documents them (developer guide, "Device
 * Shadow service documents" and "Interacting with shadows"):
 *
 * - an update merges `desired` and `reported` key by key; `null` deletes a
 *   key (and `"desired": null` the whole section); arrays are values,
 *   replaced whole; an object emptied by deletions is gone;
 * - `metadata` mirrors the state with `{"timestamp"}` at every leaf (an
 *   array's elements each get theirs); timestamps are epoch seconds;
 * - `delta` holds the desired keys whose value differs from reported (or is
 *   missing there), nested objects compared key by key, arrays whole; its
 *   metadata is desired's;
 * - `version` grows by one per accepted update; a request that names another
 *   version than the current one is a 409; deleting does not reset it;
 * - the state (metadata not counted) is at most 8 KB.
 *
 * And the documents the service answers with: accepted, delta, documents,
 * get, delete and errors. Pure: the caller gives the time.
 */
import { isObject, jsonBytes, jsonEqual, own, put, type Json, type JsonObject } from './json.js';
import type { ShadowError, UpdateRequest } from './request.js';

/** AWS IoT's limit on a shadow's state document (desired and reported; metadata not counted). */
export const MAX_STATE_BYTES = 8 * 1024;

export interface Sections<T> {
  desired?: T;
  reported?: T;
}

/** A shadow as the service keeps it. */
export interface StoredShadow {
  state: Sections<JsonObject>;
  metadata: Sections<JsonObject>;
  version: number;
}

export const SHADOW_MESSAGES = {
  versionConflict: 'Version conflict',
  tooLarge: 'The payload exceeds the maximum size allowed',
  thingNotFound: 'Thing not found',
  noShadow: (name: string) => `No shadow exists with name: '${name}'`,
} as const;

const SECTIONS = ['desired', 'reported'] as const;

/** `{"timestamp": t}` at every leaf of `value`; an array's elements each get theirs. */
export function metadataOf(value: Json, timestamp: number): Json {
  if (Array.isArray(value)) return value.map((v) => metadataOf(v, timestamp));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) put(out, key, metadataOf(value[key]!, timestamp));
    return out;
  }
  return { timestamp };
}

interface Merged {
  value?: JsonObject;
  metadata?: JsonObject;
}

/**
 * `patch` merged into `current` (and its metadata): null deletes, objects
 * merge, anything else replaces. Untouched branches are shared, never changed.
 * An object left empty is gone (undefined).
 */
export function mergeSection(current: JsonObject | undefined, metadata: JsonObject | undefined, patch: JsonObject, timestamp: number): Merged {
  const value: JsonObject = { ...current };
  const meta: JsonObject = { ...metadata };
  for (const key of Object.keys(patch)) {
    const p = patch[key]!;
    if (p === null) {
      delete value[key];
      delete meta[key];
      continue;
    }
    if (isObject(p)) {
      // An empty object names no field: nothing changes.
      if (Object.keys(p).length === 0) continue;
      const existing = own(value, key);
      const existingMeta = own(meta, key);
      const merged = isObject(existing) ? mergeSection(existing, isObject(existingMeta) ? existingMeta : undefined, p, timestamp) : mergeSection(undefined, undefined, p, timestamp);
      if (merged.value === undefined) {
        delete value[key];
        delete meta[key];
      } else {
        put(value, key, merged.value);
        put(meta, key, merged.metadata!);
      }
      continue;
    }
    put(value, key, p);
    put(meta, key, metadataOf(p, timestamp));
  }
  return Object.keys(value).length === 0 ? {} : { value, metadata: meta };
}

/** The desired keys that differ from reported (nested objects key by key, arrays whole), with desired's metadata; undefined when in sync. */
export function deltaOf(desired: JsonObject | undefined, reported: JsonObject | undefined, desiredMetadata: JsonObject | undefined): { state: JsonObject; metadata: JsonObject } | undefined {
  if (desired === undefined) return undefined;
  const state: JsonObject = {};
  const metadata: JsonObject = {};
  for (const key of Object.keys(desired)) {
    const d = desired[key]!;
    const r = own(reported, key);
    const m = own(desiredMetadata, key);
    if (isObject(d) && isObject(r)) {
      const nested = deltaOf(d, r, isObject(m) ? m : undefined);
      if (nested) {
        put(state, key, nested.state);
        put(metadata, key, nested.metadata);
      }
    } else if (!jsonEqual(d, r)) {
      put(state, key, d);
      if (m !== undefined) put(metadata, key, m);
    }
  }
  return Object.keys(state).length === 0 ? undefined : { state, metadata };
}

/** The sections that exist, in AWS's order (desired, then reported). */
function present<T>(sections: Sections<T>): Sections<T> {
  const out: Sections<T> = {};
  for (const s of SECTIONS) if (sections[s] !== undefined) out[s] = sections[s];
  return out;
}

const withToken = <T extends object>(doc: T, clientToken: string | undefined): T => (clientToken === undefined ? doc : { ...doc, clientToken });

/** What an accepted update publishes (and UpdateThingShadow answers), and the shadow it leaves. */
export interface UpdateOutcome {
  shadow: StoredShadow;
  /** `/update/accepted`: the state as sent, its metadata, the new version. */
  accepted: JsonObject;
  /** `/update/delta`, when desired and reported differ after the update. */
  delta?: JsonObject;
  /** `/update/documents`: the shadow before (null when it did not exist) and after. */
  documents: JsonObject;
}

/**
 * Applies an update. `current` is the shadow (undefined when there is none);
 * `lastVersion` the version a deleted shadow had (a new one continues from
 * it), else 0.
 */
export function applyUpdate(current: StoredShadow | undefined, lastVersion: number, request: UpdateRequest, timestamp: number): UpdateOutcome | ShadowError {
  const version = current?.version ?? lastVersion;
  const token = request.clientToken;
  if (request.version !== undefined && request.version !== version) return withToken({ code: 409, message: SHADOW_MESSAGES.versionConflict }, token);
  const state: Sections<JsonObject> = { ...current?.state };
  const metadata: Sections<JsonObject> = { ...current?.metadata };
  for (const section of SECTIONS) {
    const patch = request.state[section];
    if (patch === undefined) continue;
    const merged = patch === null ? {} : mergeSection(state[section], metadata[section], patch, timestamp);
    state[section] = merged.value;
    metadata[section] = merged.metadata;
  }
  const next: StoredShadow = { state: present(state), metadata: present(metadata), version: version + 1 };
  if (jsonBytes(next.state) > MAX_STATE_BYTES) return withToken({ code: 413, message: SHADOW_MESSAGES.tooLarge }, token);

  const sentMetadata: Sections<Json> = {};
  for (const section of SECTIONS) {
    const sent = request.state[section];
    if (sent !== undefined) sentMetadata[section] = metadataOf(sent, timestamp);
  }
  const accepted = withToken({ state: request.state as JsonObject, metadata: sentMetadata as JsonObject, version: next.version, timestamp }, token);
  const delta = deltaOf(next.state.desired, next.state.reported, next.metadata.desired);
  const snapshot = (s: StoredShadow) => ({ state: s.state as JsonObject, metadata: s.metadata as JsonObject, version: s.version });
  const documents = withToken({ previous: current ? snapshot(current) : null, current: snapshot(next), timestamp }, token);
  return {
    shadow: next,
    accepted,
    ...(delta ? { delta: withToken({ version: next.version, timestamp, state: delta.state, metadata: delta.metadata }, token) } : {}),
    documents,
  };
}

/** `/get/accepted` and GetThingShadow: the whole document, with the delta when desired and reported differ. */
export function getDocument(shadow: StoredShadow, timestamp: number, clientToken?: string): JsonObject {
  const delta = deltaOf(shadow.state.desired, shadow.state.reported, shadow.metadata.desired);
  const state: JsonObject = { ...(shadow.state as JsonObject), ...(delta ? { delta: delta.state } : {}) };
  return withToken({ state, metadata: shadow.metadata as JsonObject, version: shadow.version, timestamp }, clientToken);
}

/** `/delete/accepted` and DeleteThingShadow: the version the shadow had. */
export function deleteDocument(version: number, timestamp: number, clientToken?: string): JsonObject {
  return withToken({ version, timestamp }, clientToken);
}

/**
 * `/rejected`: `{"code","message","timestamp","clientToken"}`. AWS leaves the
 * timestamp out of its "No shadow exists" answer, so that one has none.
 */
export function errorDocument(error: ShadowError, timestamp: number): JsonObject {
  const doc: JsonObject = { code: error.code, message: error.message };
  if (error.code !== 404) doc.timestamp = timestamp;
  return withToken(doc, error.clientToken);
}
