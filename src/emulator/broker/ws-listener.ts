/**
 * MQTT over WebSockets over TLS on `/mqtt`, authenticated by a SigV4-presigned
 * URL (service `iotdevicegateway`), as AWS IoT Core does it. The signature is
 * checked before the upgrade (the verifier reads the signed headers as sent,
 * the session token signed or not, Host with or without its port, an optional
 * X-Amz-Expires, and a clock-skew window); a refusal is an HTTP 403 with a
 * JSON message, and no WebSocket is opened.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Authenticator } from '../auth.js';
import { ServiceError } from '../errors.js';
import type { Signer } from '../http/types.js';
import { EMPTY_SHA256, readSignature } from '../sigv4.js';
import type { Principal } from '../authorization/principal.js';
import type { AuthLogEntry } from './auth-log.js';
import { peerAddress, type ListenerLimits } from '../connection-guard.js';

export const WS_PATH = '/mqtt';
export const SIGNING_SERVICE = 'iotdevicegateway';
/** The CRT and browsers ask for `mqtt`; the browser CRT for MQTT 3.1.1 asks for `mqttv3.1`. */
const SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];
/** Frames beyond this are refused (an MQTT packet is at most 128 KB of payload plus headers). */
const MAX_FRAME_BYTES = 256 * 1024;

export interface WsListenerOptions {
  key: string;
  cert: string;
  /** The upgrade request's headers must arrive within `authenticateTimeoutMs`, as on the control plane. */
  limits: ListenerLimits;
  authenticator: Authenticator;
  admit(stream: Duplex, principal: Principal, sourceIp: string | undefined, domainName: string | undefined, req: IncomingMessage): void;
  authFailed(event: Omit<AuthLogEntry, 'event'>): void;
  logError?(message: string, err: unknown): void;
}

/** The policy principal of a verified signature (the HTTPS data plane uses it too). */
export function toPrincipal(signed: Exclude<Signer, { kind: 'anonymous' }>): Principal {
  if (signed.kind === 'root') return { kind: 'root', accessKeyId: signed.accessKeyId };
  const s = signed.session;
  return { kind: 'cognito', accessKeyId: s.accessKeyId, identityId: s.identityId, poolId: s.poolId, authenticated: s.authenticated, roleArn: s.roleArn };
}

/** Answers on the raw socket before any upgrade, then closes it. */
function reject(socket: Duplex, status: number, text: string, body: Record<string, unknown>): void {
  const json = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

function requestedSubprotocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

export function createWsListener(options: WsListenerOptions): https.Server {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => SUBPROTOCOLS.find((p) => protocols.has(p)) ?? false,
  });
  const upgradeTimeoutMs = options.limits.authenticateTimeoutMs;
  const server = https.createServer(
    {
      key: options.key,
      cert: options.cert,
      noDelay: true,
      headersTimeout: upgradeTimeoutMs,
      requestTimeout: upgradeTimeoutMs,
      // Timeouts are checked on this period; the default (30 s) would make them lax.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(upgradeTimeoutMs / 4))),
    },
    (_req, res) => {
      res.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket' });
      res.end(JSON.stringify({ message: `MQTT over WebSocket: open a WebSocket to ${WS_PATH} with a SigV4-presigned query (service ${SIGNING_SERVICE}).` }));
    },
  );

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    upgrade(req, socket, head).catch((err: unknown) => {
      options.logError?.('WebSocket upgrade failed', err);
      socket.destroy();
    });
  });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const sourceIp = peerAddress(req.socket.remoteAddress);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const refuse = (status: number, text: string, code: string, reason: string, principal?: string) => {
      options.authFailed({ transport: 'wss', sourceIp, principal, principalKind: 'unknown', reason, outcome: `HTTP ${status} before the WebSocket upgrade` });
      reject(socket, status, text, { __type: code, message: reason });
    };
    if (path !== WS_PATH) return refuse(404, 'Not Found', 'NotFoundException', `MQTT over WebSocket is served on ${WS_PATH}, not ${path}`);
    const reading = readSignature({ headers: req.headers, query });
    if (reading.kind === 'unsigned') return refuse(403, 'Forbidden', 'MissingAuthenticationTokenException', `the WebSocket URL carries no SigV4 signature (presign it with service ${SIGNING_SERVICE})`);
    if (reading.kind === 'invalid') return refuse(403, 'Forbidden', reading.problem.code, reading.problem.message);
    const claim = reading.claim;
    if (claim.service !== SIGNING_SERVICE) {
      return refuse(403, 'Forbidden', 'InvalidSignatureException', `Credential should be scoped to correct service: '${SIGNING_SERVICE}', not '${claim.service}'.`, claim.accessKeyId);
    }
    let signed;
    try {
      signed = await options.authenticator.verify({ method: req.method ?? 'GET', path, query, headers: req.headers, bodySha256: EMPTY_SHA256 }, claim);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      return refuse(403, 'Forbidden', err.code, err.message, claim.accessKeyId);
    }
    const offered = requestedSubprotocols(req);
    if (!offered.some((p) => SUBPROTOCOLS.includes(p))) {
      return refuse(400, 'Bad Request', 'BadRequestException', `the WebSocket subprotocol must be mqtt or mqttv3.1 (offered: ${offered.join(', ') || 'none'})`, claim.accessKeyId);
    }
    if (socket.destroyed) return;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => {});
      options.admit(stream, toPrincipal(signed), sourceIp, host || undefined, req);
    });
  }

  return server;
}
