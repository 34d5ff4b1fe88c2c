/**
 * What a refusal of the Device Shadow service means to a user, whichever way
 * it came (an HTTP error of the REST API, or the document on a `/rejected`
 * topic): one IotctlError with the house's exit code and a hint. 404 → 4
 * (not found), 409 → 1 with the way to re-read the shadow, 400, 413 and 415
 * → 2 (the request was wrong), anything else → 1. Pure: the commands it
 * prints are given the connection flags to repeat (mqtt/diagnostics.ts connectionWords).
 */
import { ExitCode, IotctlError } from '../errors.js';
import { iotctlCommand } from '../shell.js';
import { describeShadow, type ShadowRef } from './topics.js';

const GLOBAL_FLAGS = new Set(['--profile', '--region', '--endpoint-url']);

/** `iotctl [globals] shadow <verb> <thing> [--name <shadow>] <connection words> <extra>` (list takes neither --name nor --mqtt). */
export function shadowCommand(verb: string, ref: ShadowRef, words: string[] = [], extra: string[] = []): string {
  const globals: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (GLOBAL_FLAGS.has(words[i]!)) globals.push(words[i]!, words[++i] ?? '');
    else if (!(verb === 'list' && words[i] === '--mqtt')) rest.push(words[i]!);
  }
  const name = ref.shadowName === undefined || verb === 'list' ? [] : ['--name', ref.shadowName];
  return iotctlCommand([...globals, 'shadow', verb, ref.thingName, ...name, ...rest, ...extra]);
}

export interface Refusal {
  /** The HTTP status, or the `code` of the `/rejected` document. */
  status: number;
  message: string;
  ref: ShadowRef;
  operation: 'get' | 'update' | 'delete' | 'list';
  /** How it was refused, for the message: `HTTP 409 ConflictException`, `update/rejected 409`. */
  via: string;
  /** The `--version` the update asked for, if any. */
  version?: number;
  /** The connection flags a printed command repeats (connectionWords). */
  words?: string[];
}

/** The refusal as an IotctlError; undefined for a status this does not explain (the caller's: 401, 403...). */
export function shadowRefusal(r: Refusal): IotctlError | undefined {
  const text = `${r.operation === 'list' ? `Listing the named shadows of ${r.ref.thingName}` : `The ${r.operation} of ${describeShadow(r.ref)}`} failed: ${r.via}: ${r.message}`.replace(/([^.])$/, '$1.');
  const details = { status: r.status, thingName: r.ref.thingName, shadowName: r.ref.shadowName, operation: r.operation };
  const fail = (code: string, exitCode: ExitCode, hint?: string) => new IotctlError(code, text, { exitCode, hint, details });
  const command = (verb: string, extra: string[] = []) => shadowCommand(verb, r.ref, r.words, extra);
  switch (r.status) {
    case 404:
      if (/^Thing not found/.test(r.message)) return fail('THING_NOT_FOUND', ExitCode.NOT_FOUND, `this IoT Core keeps shadows for registered things only: ${iotctlCommand(['thing', 'create', r.ref.thingName])}`);
      if (r.ref.shadowName !== undefined) return fail('SHADOW_NOT_FOUND', ExitCode.NOT_FOUND, `the thing's named shadows: ${command('list')}`);
      return fail('SHADOW_NOT_FOUND', ExitCode.NOT_FOUND, r.operation === 'get' ? `an update creates it: ${command('update', ['--reported', '{...}'])}` : 'it was deleted already, or never made');
    case 409:
      return fail(
        'SHADOW_VERSION_CONFLICT',
        ExitCode.FAILURE,
        `the shadow is no longer at version ${r.version ?? 'you named'}: re-read it (${command('get')}), then retry with its version`,
      );
    case 413:
      return fail('SHADOW_TOO_LARGE', ExitCode.USAGE, "a shadow's state (desired and reported; metadata not counted) is at most 8 KB");
    case 400:
    case 415:
      return fail('SHADOW_REQUEST_INVALID', ExitCode.USAGE);
    case 429:
      return fail('SHADOW_THROTTLED', ExitCode.FAILURE, 'AWS IoT allows 20 requests per second per thing (10 in flight): wait and retry');
    default:
      return undefined;
  }
}
