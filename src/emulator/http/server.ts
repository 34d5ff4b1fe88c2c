/**
 * The HTTP listener with the limits that keep a misbehaving client from
 * hurting anyone else: header and request timeouts, a body cap (http/body.ts),
 * AWS-shaped answers even when the HTTP parser gives up, and no Nagle delay.
 * The control plane listens in plain HTTP; the HTTPS data plane passes its TLS options.
 */
import http, { type RequestListener } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { rawErrorResponse } from './respond.js';

export interface HttpLimits {
  /** Largest request body accepted (bytes). */
  maxBodyBytes: number;
  /** Time to receive the request headers. */
  headersTimeoutMs: number;
  /** Time to receive the whole request. */
  requestTimeoutMs: number;
  /** Idle time before a keep-alive connection is closed. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  maxBodyBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

export function createHttpServer(listener: RequestListener, limits: HttpLimits): http.Server;
export function createHttpServer(listener: RequestListener, limits: HttpLimits, tls: https.ServerOptions): https.Server;
export function createHttpServer(listener: RequestListener, limits: HttpLimits, tls?: https.ServerOptions): http.Server | https.Server {
  const options: http.ServerOptions = {
    noDelay: true,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Timeouts are checked on this period; the default (30 s) would make short timeouts lax.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    maxHeaderSize: 16 * 1024,
  };
  const server = tls ? https.createServer({ ...tls, ...options }, listener) : http.createServer(options, listener);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, code, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'RequestHeaderFieldsTooLarge', 'The request headers are too large.']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'RequestTimeoutException', 'The request was not received in time.']
          : [400, 'BadRequestException', 'The request is not valid HTTP.'];
    socket.end(rawErrorResponse(status, code, message));
  });
  return server;
}
