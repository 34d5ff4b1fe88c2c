/**
 * What the HTTPS data plane's answers and socket errors mean to a user: one
 * IotctlError with the exit code of the house (403 → 3 denied, 404 → 4,
 * 400 and 413 → 2, connection and TLS → 5) and a hint that says what to check.
 */
import type { IncomingMessage } from 'node:http';
import { ExitCode, IotctlError } from '../core/errors.js';
import { iotctlCommand } from '../core/shell.js';
import { connectionWords, tlsFailure, type Where } from '../mqtt/diagnostics.js';
import { classifyTlsError } from '../mqtt/tls-probe.js';
import type { ConnectionSpec } from '../mqtt/types.js';
import { describeShadow, shadowRefusal, type ShadowRef } from '../core/shadow/index.js';

/** A request that failed below HTTP; `reusedSocket` tells whether it went out on a kept-alive connection. */
export class HttpFailure extends Error {
  constructor(
    override readonly cause: Error,
    readonly reusedSocket: boolean,
  ) {
    super(cause.message);
  }

  /** A kept-alive connection the server closed while idle: the request never reached it. */
  get retryable(): boolean {
    const code = (this.cause as NodeJS.ErrnoException).code;
    return code === 'ECONNRESET' || code === 'EPIPE' || this.cause.message === 'socket hang up';
  }
}

export interface Operation {
  operation: 'publish' | 'get-retained' | 'list-retained' | 'get-shadow' | 'update-shadow' | 'delete-shadow' | 'list-shadows';
  topic?: string;
  retain?: boolean;
  /** The shadow operations': which shadow (a list names only the thing). */
  shadow?: ShadowRef;
  /** UpdateThingShadow: the version the request named. */
  version?: number;
}

const ACTION: Record<Operation['operation'], string> = {
  publish: 'iot:Publish',
  'get-retained': 'iot:GetRetainedMessage',
  'list-retained': 'iot:ListRetainedMessages',
  'get-shadow': 'iot:GetThingShadow',
  'update-shadow': 'iot:UpdateThingShadow',
  'delete-shadow': 'iot:DeleteThingShadow',
  'list-shadows': 'iot:ListNamedShadowsForThing',
};

const SHADOW_VERBS = { 'get-shadow': 'get', 'update-shadow': 'update', 'delete-shadow': 'delete', 'list-shadows': 'list' } as const;

const where = (spec: ConnectionSpec): Where => ({ endpoint: spec.endpoint, port: spec.port, caFile: spec.caFile });
const at = (spec: ConnectionSpec) => `${spec.endpoint}:${spec.port}`;
const PORTS_HINT = 'AWS serves HTTPS on 8443 with a client certificate and on 443 with SigV4; the local IoT Core on its https-port: iotctl --profile local config get https-port';

/** A socket or TLS failure, as a connection error (exit 5). */
export function connectionError(err: Error, spec: ConnectionSpec): IotctlError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'CONNECT_TIMEOUT') {
    return new IotctlError('CONNECT_TIMEOUT', `Could not connect to ${at(spec)} within ${spec.connectTimeoutMs / 1000}s.`, {
      exitCode: ExitCode.CONNECTION,
      hint: `check the endpoint and port (${PORTS_HINT}), or raise --connect-timeout on a slow network`,
    });
  }
  if (code === 'REQUEST_TIMEOUT') return new IotctlError('REQUEST_TIMEOUT', `${at(spec)} did not answer in time.`, { exitCode: ExitCode.TIMEOUT, hint: 'raise the request-timeout setting, or check the network' });
  const probe = classifyTlsError(err as NodeJS.ErrnoException);
  if (!probe.ok && probe.cause !== 'network') return tlsFailure(probe.cause, where(spec), probe.detail);
  if (code === 'ECONNREFUSED') return new IotctlError('CONNECTION_REFUSED', `Connection refused by ${at(spec)}.`, { exitCode: ExitCode.CONNECTION, hint: `is the server running (iotctl local start)? check --port: ${PORTS_HINT}` });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new IotctlError('CONNECTION_FAILED', `Cannot resolve the host name "${spec.endpoint}".`, { exitCode: ExitCode.CONNECTION, hint: "check --endpoint or the profile's data-endpoint" });
  return new IotctlError('CONNECTION_FAILED', `The HTTPS request to ${at(spec)} failed: ${err.message}.`, { exitCode: ExitCode.CONNECTION, hint: `check the endpoint and port: ${PORTS_HINT}` });
}

function what(op: Operation): string {
  switch (op.operation) {
    case 'publish':
      return `Publish to "${op.topic}"`;
    case 'get-retained':
      return `GetRetainedMessage for "${op.topic}"`;
    case 'list-retained':
      return 'ListRetainedMessages';
    case 'list-shadows':
      return `ListNamedShadowsForThing for ${op.shadow!.thingName}`;
    default:
      return `${op.operation === 'get-shadow' ? 'GetThingShadow' : op.operation === 'update-shadow' ? 'UpdateThingShadow' : 'DeleteThingShadow'} for ${describeShadow(op.shadow!)}`;
  }
}

/** The resource `iotctl policy test` takes for the operation: a topic, or for the shadow actions `<thing>[/<shadow>]`. */
function resourceOf(op: Operation): string {
  if (!op.shadow) return op.topic ?? '*';
  return op.shadow.shadowName === undefined ? op.shadow.thingName : `${op.shadow.thingName}/${op.shadow.shadowName}`;
}

/** `iotctl policy test ...` for the request (HTTPS has no client id: thing variables stay unresolved). */
function policyCheck(op: Operation, spec: ConnectionSpec): string {
  const action = op.operation === 'publish' && op.retain ? 'iot:RetainPublish' : ACTION[op.operation];
  const principal = spec.checkWith?.length ? spec.checkWith : ['--principal', spec.principal ?? (spec.auth === 'mtls' ? '<certificate ARN or id>' : '<Cognito identity id>')];
  return iotctlCommand(['policy', 'test', ...principal, '--action', action, '--resource', resourceOf(op)]);
}

const SIGNATURE_CODES = new Set(['InvalidSignatureException', 'UnrecognizedClientException', 'ExpiredTokenException', 'IncompleteSignatureException', 'MissingAuthenticationTokenException']);

/** An HTTP error answer (4xx, 5xx), in AWS's shape: `x-amzn-ErrorType` and `{"message"}`. */
export function responseError(r: { status: number; headers: IncomingMessage['headers']; body: Buffer }, op: Operation, spec: ConnectionSpec): IotctlError {
  const header = r.headers['x-amzn-errortype'];
  let message: string | undefined;
  try {
    const doc = JSON.parse(r.body.toString('utf8')) as { message?: unknown; Message?: unknown };
    message = typeof doc.message === 'string' ? doc.message : typeof doc.Message === 'string' ? doc.Message : undefined;
  } catch {
    // not JSON: the status says enough
  }
  const code = (Array.isArray(header) ? header[0] : header)?.split(/[:,#]/)[0] || `HTTP${r.status}`;
  const text = `${what(op)} failed: HTTP ${r.status} ${code}${message ? `: ${message}` : ''}`.replace(/([^.])$/, '$1.');
  const details = { status: r.status, errorCode: code, operation: op.operation, topic: op.topic };
  const fail = (exitCode: ExitCode, hint?: string) => new IotctlError(code === `HTTP${r.status}` ? 'HTTP_ERROR' : code, text, { exitCode, hint, details });
  if (r.status === 401) return fail(ExitCode.DENIED, 'the request carried no credentials the server accepts: pass --device <folder> or --cert and --key, or --auth sigv4');
  if (r.status === 403 && SIGNATURE_CODES.has(code)) {
    return fail(ExitCode.DENIED, `the signature was refused: check the credentials, the region (${spec.region ?? 'none'}) and this machine's clock`);
  }
  if (r.status === 403 && /iot:(ClientId|Connection\.Thing)/i.test(message ?? '')) {
    return fail(
      ExitCode.DENIED,
      'over HTTPS a request has no client id and no thing, so statements keyed on them deny; name the device by its certificate instead (the http-device template: iotctl provision <thing> --template http-device)',
    );
  }
  if (r.status === 403) return fail(ExitCode.DENIED, `check the policy with: ${policyCheck(op, spec)}`);
  if (op.shadow && op.operation !== 'publish') {
    const refusal = shadowRefusal({ status: r.status, message: message ?? code, ref: op.shadow, operation: SHADOW_VERBS[op.operation as keyof typeof SHADOW_VERBS], via: `HTTP ${r.status} ${code}`, version: op.version, words: connectionWords(spec) });
    if (refusal) return refusal;
  }
  if (r.status === 404 && code === 'ResourceNotFoundException') return fail(ExitCode.NOT_FOUND, op.operation === 'get-retained' ? 'publish one with: iotctl pub --http --retain <topic> <message>' : undefined);
  if (r.status === 404) return fail(ExitCode.FAILURE, `is ${at(spec)} an AWS IoT data endpoint? ${PORTS_HINT}`);
  if (r.status === 413) return fail(ExitCode.USAGE, 'AWS IoT accepts messages of at most 128 KB');
  if (r.status === 400) return fail(ExitCode.USAGE);
  if (r.status === 429) return fail(ExitCode.FAILURE, 'AWS IoT throttled the requests: send fewer per second (--rate)');
  return fail(ExitCode.FAILURE);
}
