/**
 * Turning what the device SDK reports into errors a person can act on. On
 * MQTT 5 AWS IoT (and the local IoT Core) says why it refused a CONNECT,
 * SUBSCRIBE or PUBLISH with a reason code, so the refusal is stated as such
 * (`refused`). On MQTT 3.1.1 it answers by closing the connection, so the best
 * we can say is which operation was most likely denied, for which client id
 * and topic (`likelyDenied`). Either way the error names the `iotctl policy
 * test` command that checks it. Pure: no SDK, no I/O.
 */
import { ExitCode, IotctlError } from '../core/errors.js';
import { iotctlCommand } from '../core/shell.js';
import { reasonText, isAuthorizationFailure, type PacketKind } from '../core/reason-codes.js';
import type { AuthMode, ConnectionSpec } from './types.js';

export type Operation = 'connect' | 'subscribe' | 'publish';

const ACTION: Record<Operation, string> = { connect: 'iot:Connect', subscribe: 'iot:Subscribe', publish: 'iot:Publish' };

/** The CRT's error name (AWS_IO_..., AWS_ERROR_MQTT_...) in whatever it threw: a CrtError, an Error or a plain string. */
export function crtErrorName(err: unknown): string | undefined {
  const e = err as { error_name?: unknown; error?: unknown; message?: unknown } | undefined;
  if (typeof e?.error_name === 'string') return e.error_name;
  const text = typeof err === 'string' ? err : `${String(e?.message ?? '')} ${typeof e?.error === 'string' ? e.error : ''}`;
  return /\b(AWS_[A-Z0-9_]+)\b/.exec(text)?.[1];
}


export interface DenialContext {
  clientId: string;
  auth: AuthMode;
  /** Certificate ARN or id, when known. */
  principal?: string;
  /** Topic (publish) or topic filter (subscribe). */
  topic?: string;
  /** The MQTT version spoken: on MQTT 5 a refusal has a reason code, so a bare hang-up is only a guess. */
  mqtt?: 3 | 5;
  retain?: boolean;
  /**
   * Flags for `iotctl policy test` that name the principal and where its policies are
   * (`--device ./pi01`, or `--profile local --principal <arn>`), so the printed check runs as printed.
   */
  checkWith?: string[];
}

/** `iotctl policy test ...` that decides the same request against the principal's policies. */
export function policyTestCommand(op: Operation, ctx: DenialContext): string {
  const principal = ctx.principal ?? (ctx.auth === 'mtls' ? '<certificate ARN or id>' : '<Cognito identity id>');
  const resource = op === 'connect' ? ctx.clientId : (ctx.topic ?? '<topic>');
  const action = op === 'publish' && ctx.retain ? 'iot:RetainPublish' : ACTION[op];
  return iotctlCommand(['policy', 'test', ...(ctx.checkWith ?? ['--principal', principal]), '--action', action, '--resource', resource, '--client-id', ctx.clientId]);
}

function what(op: Operation, ctx: DenialContext): string {
  if (op === 'connect') return `${ACTION.connect} for client id "${ctx.clientId}"`;
  const action = op === 'publish' && ctx.retain ? `${ACTION.publish} (and iot:RetainPublish)` : ACTION[op];
  return `${action} on "${ctx.topic}" for client id "${ctx.clientId}"`;
}

function otherCauses(op: Operation, ctx: DenialContext): string {
  if (op === 'connect') {
    return ctx.auth === 'mtls'
      ? 'other causes: the certificate is not registered or not ACTIVE, or another client uses this client id'
      : 'other causes: the credentials are not allowed iot:Connect, or another client uses this client id';
  }
  return op === 'publish' ? 'the topic may be a reserved one ($aws/...) you may not publish to' : 'AWS also closes a connection with too many subscriptions (50)';
}

/**
 * The server closed the connection while `op` awaited its answer. On MQTT 3.1.1
 * AWS IoT refuses an unauthorized PUBLISH or SUBSCRIBE exactly that way, so
 * for those the denial is stated; a closed CONNECT has other causes too (an
 * unregistered certificate), and on MQTT 5 a refusal comes with a reason code,
 * so there it stays "most likely".
 */
export function likelyDenied(op: Operation, ctx: DenialContext, afterMs?: number): IotctlError {
  const when = afterMs === undefined ? '' : ` (${Math.round(afterMs)} ms later)`;
  const packet = op.toUpperCase();
  const target = op === 'connect' ? '' : ` to "${ctx.topic}"`;
  const message =
    op === 'connect'
      ? `The server closed the connection in answer to CONNECT: most likely ${what(op, ctx)} was denied.`
      : ctx.mqtt === 5
        ? `The server closed the connection in answer to ${packet}${target}${when} with no reason code: most likely ${what(op, ctx)} was denied.`
        : `The server closed the connection in answer to ${packet}${target}${when} instead of acknowledging it: on MQTT 3.1.1 that is how AWS IoT refuses it, so ${what(op, ctx)} was denied.`;
  return new IotctlError('DENIED_BY_HANGUP', message, {
    exitCode: ExitCode.DENIED,
    hint: `${otherCauses(op, ctx)}; check the policy with: ${policyTestCommand(op, ctx)}`,
    details: { operation: op, clientId: ctx.clientId, topic: ctx.topic },
  });
}

/** An explicit refusal: a SUBACK failure, an MQTT 5 CONNACK/PUBACK/SUBACK reason code. */
export function refused(op: Operation, ctx: DenialContext, code: number, packet: PacketKind, reasonString?: string): IotctlError {
  const reason = (packet === 'SUBACK' && code === 0x80 ? 'the broker returned failure (0x80)' : reasonText(code, packet)) + (reasonString ? `: ${reasonString}` : '');
  const denied = isAuthorizationFailure(code) || (packet === 'SUBACK' && code === 0x80);
  const head =
    op === 'subscribe'
      ? `Subscription refused for "${ctx.topic}" (client id "${ctx.clientId}"): ${reason}.`
      : op === 'publish'
        ? `Publish to "${ctx.topic}" refused (client id "${ctx.clientId}"): ${reason}.`
        : `The server refused the connection for client id "${ctx.clientId}": ${reason}.`;
  return new IotctlError(op === 'subscribe' ? 'SUBSCRIPTION_REFUSED' : op === 'publish' ? 'PUBLISH_REFUSED' : 'CONNECT_REFUSED', head, {
    exitCode: denied ? ExitCode.DENIED : ExitCode.FAILURE,
    hint: denied || op === 'subscribe' ? `check the policy with: ${policyTestCommand(op, ctx)}` : undefined,
    details: { operation: op, clientId: ctx.clientId, topic: ctx.topic, reasonCode: code },
  });
}

export interface Where {
  endpoint: string;
  port: number;
  caFile?: string;
}

function at(w: Where): string {
  return `${w.endpoint}:${w.port}`;
}

export function connectTimeout(w: Where, ms: number): IotctlError {
  return new IotctlError('CONNECT_TIMEOUT', `Could not connect to ${at(w)} within ${ms / 1000}s.`, {
    exitCode: ExitCode.CONNECTION,
    hint: 'check the endpoint and port, and that nothing (firewall, proxy) blocks the port; raise --connect-timeout on a slow network',
  });
}

/** Causes of a failed TLS handshake, as found by the node:tls probe (tls-probe.ts) or the local checks. */
export type TlsCause = 'unknown-ca' | 'hostname-mismatch' | 'server-cert-expired' | 'server-cert-not-yet-valid' | 'client-cert-refused' | 'handshake';

export function tlsFailure(cause: TlsCause, w: Where, detail?: string): IotctlError {
  const ca = w.caFile ? `the CA file ${w.caFile}` : 'the system trust store';
  const texts: Record<TlsCause, [string, string]> = {
    'unknown-ca': [
      `TLS failed with ${at(w)}: unknown CA, the server's certificate does not chain to ${ca}.`,
      'pass the root CA that signed the server certificate with --ca (AWS IoT: AmazonRootCA1.pem from iotctl ca fetch; the local IoT Core: iotctl local ca)',
    ],
    'hostname-mismatch': [
      `TLS failed with ${at(w)}: hostname mismatch, the server's certificate is not valid for "${w.endpoint}".`,
      'connect with a host name the certificate lists (for AWS IoT, the iot:Data-ATS endpoint from DescribeEndpoint)',
    ],
    'server-cert-expired': [`TLS failed with ${at(w)}: the server's certificate has expired.`, "check the server's certificate, and this machine's clock"],
    'server-cert-not-yet-valid': [`TLS failed with ${at(w)}: the server's certificate is not valid yet.`, "check this machine's clock"],
    'client-cert-refused': [
      `TLS failed with ${at(w)}: the server refused the client certificate.`,
      'AWS IoT accepts a certificate only when it is registered and ACTIVE (iotctl cert describe <id>) and its CA is registered, or it was registered without a CA',
    ],
    handshake: [`TLS failed with ${at(w)}.`, 'check the endpoint, the port (8883 or 443 for MQTT over TLS) and --ca'],
  };
  const [message, hint] = texts[cause];
  return new IotctlError('TLS_FAILED', detail ? `${message.slice(0, -1)} (${detail}).` : message, { exitCode: ExitCode.CONNECTION, hint, details: { cause } });
}

const TLS_ERRORS = new Set([
  'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE',
  'AWS_IO_TLS_ERROR_READ_FAILURE',
  'AWS_IO_TLS_ERROR_WRITE_FAILURE',
  'AWS_IO_TLS_ERROR_ALERT_RECEIVED',
  'AWS_IO_TLS_NEGOTIATION_TIMEOUT',
  'AWS_IO_TLS_UNKNOWN_ROOT_CERTIFICATE',
  'AWS_IO_TLS_NO_ROOT_CERTIFICATE_FOUND',
  'AWS_IO_TLS_CERTIFICATE_EXPIRED',
  'AWS_IO_TLS_CERTIFICATE_NOT_YET_VALID',
  'AWS_IO_TLS_BAD_CERTIFICATE',
  'AWS_IO_TLS_INVALID_CERTIFICATE_CHAIN',
  'AWS_IO_TLS_HOST_NAME_MISMATCH',
]);

export function isTlsError(name: string | undefined): boolean {
  return name !== undefined && (TLS_ERRORS.has(name) || name.startsWith('AWS_IO_TLS_'));
}

/** The server hung up on us: on AWS IoT, how a denial looks on MQTT 3.1.1. */
export function isHangup(name: string | undefined): boolean {
  return name === 'AWS_ERROR_MQTT_UNEXPECTED_HANGUP' || name === 'AWS_IO_SOCKET_CLOSED' || name === 'AWS_IO_BROKEN_PIPE';
}

/** A connect failure that is not TLS and not a hangup, from its CRT error name. */
export function connectFailure(name: string | undefined, message: string, w: Where, auth: AuthMode): IotctlError {
  const connection = (text: string, hint?: string, code = 'CONNECTION_FAILED') => new IotctlError(code, text, { exitCode: ExitCode.CONNECTION, hint });
  switch (name) {
    case 'AWS_IO_SOCKET_CONNECTION_REFUSED':
      return connection(`Connection refused by ${at(w)}.`, 'check the port (MQTT over TLS: 8883, or 443), and that the broker is running (the local IoT Core: iotctl local start)');
    case 'AWS_IO_DNS_INVALID_NAME':
    case 'AWS_IO_DNS_QUERY_FAILED':
    case 'AWS_IO_DNS_NO_ADDRESS_FOR_HOST':
      return connection(`Cannot resolve the host name "${w.endpoint}".`, 'check --endpoint or the profile\'s data-endpoint (iotctl config get data-endpoint)');
    case 'AWS_IO_SOCKET_TIMEOUT':
    case 'AWS_ERROR_MQTT_TIMEOUT':
    case 'AWS_ERROR_MQTT5_CONNACK_TIMEOUT':
      return connection(`Timed out connecting to ${at(w)}.`, 'check the endpoint and port, and that nothing blocks the port', 'CONNECT_TIMEOUT');
    case 'AWS_IO_SOCKET_NO_ROUTE_TO_HOST':
    case 'AWS_IO_SOCKET_NETWORK_DOWN':
      return connection(`No route to ${at(w)}.`, 'check the network');
    case 'AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE':
      return new IotctlError('WEBSOCKET_REFUSED', `The server refused the WebSocket upgrade at ${at(w)} (SigV4 signature or credentials rejected, or not a WebSocket port).`, {
        exitCode: auth === 'sigv4' ? ExitCode.DENIED : ExitCode.CONNECTION,
        hint: 'check the credentials (AWS_PROFILE, the profile), the region, this machine\'s clock, and --port (WebSockets: 443 on AWS IoT)',
      });
    case 'AWS_ERROR_MQTT5_DECODE_PROTOCOL_ERROR':
    case 'AWS_ERROR_MQTT_PROTOCOL_ERROR':
      return connection(`The server at ${at(w)} did not answer CONNECT in a way the client understands.`, 'if the server speaks only MQTT 3.1.1, pass --mqtt 3');
    case 'AWS_AUTH_SIGNING_NO_CREDENTIALS':
    case 'AWS_AUTH_CREDENTIALS_PROVIDER_INVALID_ENVIRONMENT':
      return new IotctlError('NO_CREDENTIALS', 'No AWS credentials to sign the WebSocket connection.', {
        exitCode: ExitCode.DENIED,
        hint: 'set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --auth mtls with a certificate',
      });
  }
  return connection(`Cannot connect to ${at(w)}: ${message}`, 'run with --debug for the device SDK\'s detail');
}

/** CONNACK 0x84: the broker does not speak the MQTT version we asked for. */
export function unsupportedVersion(w: Where): IotctlError {
  return new IotctlError('MQTT_VERSION_REFUSED', `The server at ${at(w)} does not accept MQTT 5 (CONNACK: unsupported protocol version (0x84)).`, {
    exitCode: ExitCode.CONNECTION,
    hint: 'the server speaks MQTT 3.1.1 only: pass --mqtt 3',
  });
}

/** The connection dropped after it was up, with no operation to blame. */
export function connectionLost(w: Where, detail: string, disconnect?: { code: number; reasonString?: string }): IotctlError {
  if (disconnect) {
    const reason = reasonText(disconnect.code, 'DISCONNECT') + (disconnect.reasonString ? `: ${disconnect.reasonString}` : '');
    return new IotctlError('DISCONNECTED', `The server disconnected: ${reason}.`, {
      exitCode: isAuthorizationFailure(disconnect.code) ? ExitCode.DENIED : ExitCode.CONNECTION,
      details: { reasonCode: disconnect.code },
    });
  }
  return new IotctlError('CONNECTION_LOST', `The connection to ${at(w)} was lost (${detail}).`, { exitCode: ExitCode.CONNECTION });
}

/**
 * The flags that reach the same service again (the Device Shadow's hints), for a printed command:
 * the device folder, or the control-plane flags and `--auth sigv4`. (A
 * certificate given as --cert/--key, or a Cognito login, is not repeated.)
 */
export function connectionWords(spec: Pick<ConnectionSpec, 'checkWith' | 'auth'>): string[] {
  const words = [...(spec.checkWith ?? [])];
  const principal = words.indexOf('--principal');
  if (principal >= 0) words.splice(principal, 2);
  if (!words.includes('--device') && spec.auth === 'sigv4') words.push('--auth', 'sigv4');
  return words;
}
