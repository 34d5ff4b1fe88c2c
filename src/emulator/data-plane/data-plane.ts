/**
 * The HTTPS data plane: AWS IoT's data-plane HTTP API (botocore `iot-data`:
 * messages, retained messages, the Device Shadow's REST API) on one TLS port, as on AWS's 8443 and 443 together. A request authenticates
 * with a SigV4 signature (service `iotdata`: the AWS CLI, the SDKs) or, like
 * the curl of the AWS docs, with the client certificate of its connection:
 * any certificate completes the handshake and the registry decides, as on the
 * MQTT port. Authorization goes through the one policy engine; every refusal
 * is in the auth log; a published message reaches MQTT subscribers through
 * the broker exactly as an MQTT PUBLISH does.
 *
 * The hostile-client rules of every listener apply: the connection guard
 * (handshake deadline, then authentication within its deadline, a cap on
 * connections waiting), header and request timeouts, and bodies refused from
 * their declared size before they are buffered.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Arns } from '../arns.js';
import type { Authenticator } from '../auth.js';
import type { OnUnreadable } from '../authorization/authority.js';
import { guardEventWriter, type AuthLog, type AuthLogEntry } from '../broker/auth-log.js';
import type { Broker } from '../broker/broker.js';
import { Resources } from '../broker/connection.js';
import type { RetainedStore } from '../broker/retained.js';
import { ConnectionGuard, peerAddress, type ListenerLimits } from '../connection-guard.js';
import { ServiceError, statusFor } from '../errors.js';
import { readBody } from '../http/body.js';
import { sendError, sendJson, sendPreflight, toServiceError } from '../http/respond.js';
import { Router } from '../http/router.js';
import { createHttpServer, type HttpLimits } from '../http/server.js';
import { closeServer, listen, trackSockets } from '../listen.js';
import { readSignature, sha256Hex } from '../sigv4.js';
import { queryMap, splitTarget } from '../http/target.js';
import type { StateStore } from '../store/state.js';
import { AuthenticationFailure, Callers, type Caller } from './caller.js';
import { dataPlaneRoutes, unknownOperation, type DataPlaneRoute } from './routes.js';
import { shadowRoutes } from '../shadow/routes.js';
import type { ShadowService } from '../shadow/service.js';

/**
 * ALPN: AWS IoT serves HTTPS with client certificates on port 443 only to
 * clients that offer `x-amzn-http-ca`; this port takes it, or plain http/1.1.
 */
const ALPN_PREFERENCE = ['x-amzn-http-ca', 'http/1.1'];

export interface DataPlaneOptions {
  host: string;
  port: number;
  serverCertificate: { certificatePem: string; privateKeyPem: string };
  /** The local CA, named in the certificate request (any client certificate is accepted). */
  caPem: string;
  store: StateStore;
  arns: Arns;
  authenticator: Authenticator;
  broker: Pick<Broker, 'publishAs'>;
  retained: RetainedStore;
  shadows: ShadowService;
  log: AuthLog;
  listenerLimits: ListenerLimits;
  httpLimits: HttpLimits;
  now: () => number;
  onUnreadable?: OnUnreadable;
  logRequest?: (line: string) => void;
  logError?: (message: string, err: unknown) => void;
}

export interface DataPlane {
  port: number;
  close(): Promise<void>;
}

const routes = [...dataPlaneRoutes, ...shadowRoutes];
const router = new Router<DataPlaneRoute>(routes);
/** Every method a route serves, for CORS preflights. */
const CORS_METHODS = [...new Set(routes.map((r) => r.method))].join(',');

function hostName(req: IncomingMessage): string | undefined {
  const host = req.headers.host?.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host || undefined;
}

export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const { log, arns } = options;
  // Policies, attachments, things, roles: a connection's cached decisions are rebuilt at its next request.
  let generation = 0;
  const onChange = () => generation++;
  options.store.changes.on('change', onChange);
  const callers = new Callers({
    registry: () => options.store.registry,
    arns,
    authenticator: options.authenticator,
    now: options.now,
    generation: () => generation,
    onUnreadable: options.onUnreadable,
    log,
  });
  const resources = new Resources(arns);

  /** What one request is, as it is worked out; what the catch and the request log read. */
  interface Exchange {
    requestId: string;
    method: string;
    rawPath: string;
    rawQuery: string;
    socket: TLSSocket;
    operation: string;
    caller?: Caller;
  }

  /** Route, caller (before the body is read for a certificate; with it for a signature), query, operation. */
  async function answer(req: IncomingMessage, x: Exchange): Promise<unknown> {
    const match = router.match(x.method, x.rawPath);
    if (!match) {
      const allowed = router.methodsFor(x.rawPath);
      if (allowed.length > 0) throw new ServiceError('MethodNotAllowedException', `The specified combination of HTTP verb and URI is not supported: ${x.method} ${x.rawPath} (use ${allowed.join(' or ')}).`);
      throw unknownOperation(x.method, x.rawPath);
    }
    const { route, params } = match;
    x.operation = route.operation;
    let body: Buffer | undefined;
    const readOnce = async () => (body ??= await readBody(req, route.maxBodyBytes));
    x.caller = await callers.identify({
      socket: x.socket,
      host: hostName(req),
      signature: readSignature({ headers: req.headers, query: x.rawQuery }),
      signable: async () => ({ method: x.method, path: x.rawPath, query: x.rawQuery, headers: req.headers, bodySha256: sha256Hex(await readOnce()) }),
    });
    guard.authenticated(x.socket);
    const query = queryMap(x.rawQuery);
    if (!query) throw new ServiceError('InvalidRequestException', 'The query string is not validly percent-encoded.');
    const context = { broker: options.broker, retained: options.retained, shadows: options.shadows, resources, now: options.now, traceId: x.requestId };
    return route.handle({ params, query, headers: req.headers, body: await readOnce(), caller: x.caller }, context);
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const x: Exchange = { requestId: randomUUID(), method: req.method ?? 'GET', ...splitTarget(req.url), socket: req.socket as TLSSocket, operation: '-' };
    // CORS preflight (a web page publishing or reading a shadow with SigV4): answered before authentication, as browsers send it without credentials.
    if (x.method === 'OPTIONS') return sendPreflight(req, res, CORS_METHODS);
    try {
      sendJson(res, 'rest-json', x.requestId, 200, await answer(req, x));
    } catch (err) {
      if (res.destroyed || x.socket.destroyed) return;
      const error = toServiceError(err, 'rest-json');
      if (!(err instanceof ServiceError)) options.logError?.(`${x.method} ${x.rawPath} (${x.operation}) failed on the HTTPS data plane`, err);
      report(error, x.caller, peerAddress(x.socket.remoteAddress));
      // Unread bytes of a refused request would be parsed as the next one.
      if (!req.complete) res.shouldKeepAlive = false;
      sendError(res, 'rest-json', x.requestId, error);
    } finally {
      if (options.logRequest) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        options.logRequest(`HTTPS ${x.method} ${x.rawPath} ${x.operation} ${res.statusCode} ${ms.toFixed(1)}ms`);
      }
    }
  }

  /** Authentication failures and broken limits go to the auth log (denials were logged where they were decided). */
  function report(error: ServiceError, caller: Caller | undefined, sourceIp: string | undefined): void {
    const status = statusFor('rest-json', error);
    if (error instanceof AuthenticationFailure) {
      log.write(
        { event: 'auth-failed', transport: 'https', sourceIp, principal: error.claimed, principalKind: 'unknown', reason: error.message, outcome: `HTTP ${status}` },
        `https-auth\n${sourceIp}\n${error.claimed}\n${error.code}`,
      );
      return;
    }
    if (status !== 400 && status !== 405 && status !== 413) return;
    const who: Partial<AuthLogEntry> = caller ? caller.describe() : { transport: 'https', sourceIp, principalKind: 'unknown' };
    log.write({ event: 'refused', ...who, reason: error.message, outcome: `HTTP ${status}` });
  }

  const { certificatePem, privateKeyPem } = options.serverCertificate;
  const server: Server = createHttpServer((req, res) => void serve(req, res), options.httpLimits, {
    key: privateKeyPem,
    cert: certificatePem,
    ca: options.caPem,
    requestCert: true,
    rejectUnauthorized: false,
    ALPNCallback: ({ protocols }) => ALPN_PREFERENCE.find((p) => protocols.includes(p)),
  });
  const guard = new ConnectionGuard(server, 'HTTPS', options.listenerLimits, guardEventWriter(log, 'https'));
  const sockets = trackSockets(server);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      options.store.changes.off('change', onChange);
      await closeServer(server, sockets);
    })());

  try {
    const port = await listen(server, options.host, options.port, '--https-port');
    return { port, close };
  } catch (err) {
    await close();
    throw err;
  }
}
