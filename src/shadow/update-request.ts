/**
 * The request document `iotctl shadow update` sends, built from its flags
 * (`--desired`, `--reported`, or a whole document from `--file`; `--version`,
 * `--client-token`) and checked with the service's own rules before anything
 * is sent, so a request AWS would refuse with a 400 is a usage error here.
 */
import { usageError } from '../core/errors.js';
import { isObject, isShadowError, readUpdateRequest, type Json, type JsonObject } from '../core/shadow/index.js';

export interface UpdateFlags {
  desired?: string;
  reported?: string;
  /** The text of a whole request document (`{"state": {...}}`). */
  document?: { text: string; file: string };
  version?: number;
  clientToken?: string;
}

function section(text: string, flag: string): JsonObject | null {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (err) {
    throw usageError('INVALID_JSON', `${flag} is not valid JSON: ${(err as Error).message}.`, `quote it for the shell, e.g. ${flag} '{"light": "on"}'`);
  }
  if (value !== null && !isObject(value)) throw usageError('SHADOW_SECTION_NOT_OBJECT', `${flag} must be a JSON object (or null, which deletes the whole section), not ${JSON.stringify(value)}.`, `e.g. ${flag} '{"light": "on"}'`);
  return value;
}

export function buildUpdateRequest(f: UpdateFlags): JsonObject {
  if (f.document && (f.desired !== undefined || f.reported !== undefined)) throw usageError('SHADOW_UPDATE_SOURCES', '--file holds the whole request document; it does not go with --desired or --reported.');
  if (!f.document && f.desired === undefined && f.reported === undefined) {
    throw usageError('SHADOW_UPDATE_EMPTY', 'Nothing to update.', `pass --desired '{...}' (what the device should do), --reported '{...}' (what it does), or --file <request document>`);
  }
  let request: JsonObject;
  if (f.document) {
    let value: Json;
    try {
      value = JSON.parse(f.document.text) as Json;
    } catch (err) {
      throw usageError('INVALID_JSON', `${f.document.file} is not valid JSON: ${(err as Error).message}.`);
    }
    if (!isObject(value)) throw usageError('SHADOW_DOCUMENT_NOT_OBJECT', `${f.document.file} must hold a request document such as {"state": {"desired": {...}}}.`);
    request = { ...value };
  } else {
    const state: JsonObject = {};
    if (f.desired !== undefined) state.desired = section(f.desired, '--desired');
    if (f.reported !== undefined) state.reported = section(f.reported, '--reported');
    request = { state };
  }
  if (f.version !== undefined) request.version = f.version;
  if (f.clientToken !== undefined) request.clientToken = f.clientToken;
  const checked = readUpdateRequest(Buffer.from(JSON.stringify(request)));
  if (isShadowError(checked)) throw usageError('SHADOW_REQUEST_INVALID', `AWS IoT would refuse this update: ${checked.code} ${checked.message}.`);
  return request;
}
