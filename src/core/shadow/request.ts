/**
 * Reading the payload of a shadow request (`/update`, UpdateThingShadow; the
 * client token of `/get` and `/delete`) and refusing a bad one with the
 * Device Shadow service's own codes and messages (developer guide, "Device
 * Shadow error messages"). Pure.
 */
import { hasNullInArray, isObject, nestedDeeperThan, type Json, type JsonObject } from './json.js';

/** A refusal, as AWS publishes it on `/rejected` (and maps it to an HTTP error). */
export interface ShadowError {
  code: number;
  message: string;
  /** Echoed from the request. */
  clientToken?: string;
}

/** Whether a value is a refusal rather than an outcome. */
export function isShadowError(value: object): value is ShadowError {
  return typeof (value as ShadowError).code === 'number' && typeof (value as ShadowError).message === 'string';
}

/** A client token is at most 64 bytes. */
export const MAX_CLIENT_TOKEN_BYTES = 64;
/** Levels of nesting allowed in desired and reported. */
export const MAX_STATE_DEPTH = 6;

export const REQUEST_MESSAGES = {
  encoding: 'Unsupported documented encoding; supported encoding is UTF-8',
  invalidJson: 'Invalid JSON',
  missingState: 'Missing required node: state',
  stateNotObject: 'State node must be an object',
  invalidNode: 'State contains an invalid node',
  desiredNotObject: 'Desired node must be an object',
  reportedNotObject: 'Reported node must be an object',
  invalidVersion: 'Invalid version',
  invalidClientToken: 'Invalid clientToken',
  tooDeep: `JSON contains too many levels of nesting; maximum is ${MAX_STATE_DEPTH}`,
  // AWS documents the rule ("Arrays can't have null values") but not its message: these words are ours.
  nullInArray: 'Arrays in a shadow document cannot contain null values',
} as const;

export interface UpdateRequest {
  /** Each section as sent: an object to merge, null to delete it, absent to leave it. */
  state: { desired?: JsonObject | null; reported?: JsonObject | null };
  clientToken?: string;
  version?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(payload: Uint8Array): { json: Json } | ShadowError {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { code: 415, message: REQUEST_MESSAGES.encoding };
  }
  try {
    return { json: JSON.parse(text) as Json };
  } catch {
    return { code: 400, message: REQUEST_MESSAGES.invalidJson };
  }
}

function validToken(value: unknown): value is string {
  return typeof value === 'string' && Buffer.byteLength(value) <= MAX_CLIENT_TOKEN_BYTES;
}

/** An update request, or the refusal AWS answers it with (carrying the client token when it was valid). */
export function readUpdateRequest(payload: Uint8Array): UpdateRequest | ShadowError {
  const decoded = decode(payload);
  if ('code' in decoded) return decoded;
  const doc = decoded.json;
  if (!isObject(doc)) return { code: 400, message: REQUEST_MESSAGES.missingState };
  const token = Object.hasOwn(doc, 'clientToken') ? doc.clientToken : undefined;
  if (token !== undefined && !validToken(token)) return { code: 400, message: REQUEST_MESSAGES.invalidClientToken };
  const fail = (message: string): ShadowError => (token === undefined ? { code: 400, message } : { code: 400, message, clientToken: token });
  const version = Object.hasOwn(doc, 'version') ? doc.version : undefined;
  if (version !== undefined && !(typeof version === 'number' && Number.isSafeInteger(version) && version >= 0)) return fail(REQUEST_MESSAGES.invalidVersion);
  if (!Object.hasOwn(doc, 'state')) return fail(REQUEST_MESSAGES.missingState);
  const state = doc.state!;
  const request: UpdateRequest = { state: {} };
  if (token !== undefined) request.clientToken = token;
  if (version !== undefined) request.version = version;
  // "state": null empties the shadow (it is not deleted: its version goes on).
  if (state === null) {
    request.state = { desired: null, reported: null };
    return request;
  }
  if (!isObject(state)) return fail(REQUEST_MESSAGES.stateNotObject);
  for (const key of Object.keys(state)) {
    if (key !== 'desired' && key !== 'reported') return fail(REQUEST_MESSAGES.invalidNode);
    const section = state[key]!;
    if (section !== null && !isObject(section)) return fail(key === 'desired' ? REQUEST_MESSAGES.desiredNotObject : REQUEST_MESSAGES.reportedNotObject);
    if (section !== null && nestedDeeperThan(section, MAX_STATE_DEPTH)) return fail(REQUEST_MESSAGES.tooDeep);
    if (section !== null && hasNullInArray(section)) return fail(REQUEST_MESSAGES.nullInArray);
    request.state[key as 'desired' | 'reported'] = section;
  }
  return request;
}

/**
 * The client token of a `/get` or `/delete` request. AWS ignores the rest of
 * their payload (an empty one is usual), so anything unreadable is no token.
 */
export function readClientToken(payload: Uint8Array): string | undefined {
  if (payload.length === 0) return undefined;
  const decoded = decode(payload);
  if ('code' in decoded || !isObject(decoded.json)) return undefined;
  const token = Object.hasOwn(decoded.json, 'clientToken') ? decoded.json.clientToken : undefined;
  return validToken(token) ? token : undefined;
}
