/**
 * Connection hygiene for every listener (control plane, MQTT over TLS,
 * WebSockets, and any HTTPS listener to come): a bounded number of file
 * descriptors whatever clients do.
 *
 * - A TLS connection must finish its handshake within `handshakeTimeoutMs`;
 *   a failed or late handshake is destroyed (Node only reports it).
 * - A listener that authenticates after the handshake (the WebSocket upgrade
 *   is checked before it is accepted) gives the client `authenticateTimeoutMs`
 *   more; the others call `authenticated()` at once.
 * - At most `maxUnauthenticated` connections may wait at the same time; past
 *   that, new ones are closed as they arrive.
 *
 * A plain (non-TLS) listener has no handshake and authenticates each request,
 * not the connection: its connections only count against the cap, and its own
 * header and idle timeouts bound them.
 *
 * The raw TCP socket and its TLS socket are paired by the peer's address and
 * port, which are unique among a listener's open connections.
 */
import type { Server, Socket } from 'node:net';
import tls from 'node:tls';

export interface ListenerLimits {
  /** Time to finish the TLS handshake. Default 10 s. */
  handshakeTimeoutMs: number;
  /** Time from the handshake to authentication (the WebSocket upgrade). Default 10 s. */
  authenticateTimeoutMs: number;
  /** Connections accepted and not yet authenticated, per listener. Default 1,000. */
  maxUnauthenticated: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = { handshakeTimeoutMs: 10_000, authenticateTimeoutMs: 10_000, maxUnauthenticated: 1000 };

/** Why the guard closed a connection, for the auth log. */
export interface GuardEvent {
  kind: 'auth-failed' | 'refused';
  sourceIp: string | undefined;
  reason: string;
  outcome: string;
  /** Repeats of the same event may be counted instead of written. */
  throttleKey?: string;
}

interface Pending {
  raw: Socket;
  timer?: NodeJS.Timeout;
  secure: boolean;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`. */
export function peerAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

const keyOf = (address: string | undefined, port: number | undefined) => `${address}|${port}`;
const seconds = (ms: number) => `${ms / 1000} s`;

export class ConnectionGuard {
  private readonly pending = new Map<string, Pending>();

  /**
   * @param label names the listener in log lines ("MQTT over TLS").
   * @param report receives every connection the guard closes.
   */
  constructor(
    server: Server,
    private readonly label: string,
    private readonly limits: ListenerLimits,
    private readonly report: (event: GuardEvent) => void,
  ) {
    const isTls = server instanceof tls.Server;
    server.on('connection', (raw: Socket) => this.accepted(raw, isTls));
    if (isTls) {
      server.on('secureConnection', (socket: tls.TLSSocket) => this.secured(socket));
      server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => this.handshakeFailed(err, socket));
    }
  }

  /** Connections accepted and not yet authenticated. */
  get unauthenticated(): number {
    return this.pending.size;
  }

  /** The connection proved who it is: no deadline any more, and it no longer counts against the cap. */
  authenticated(socket: Pick<Socket, 'remoteAddress' | 'remotePort'>): void {
    const key = keyOf(socket.remoteAddress, socket.remotePort);
    const entry = this.pending.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(key);
  }

  private accepted(raw: Socket, isTls: boolean): void {
    const sourceIp = peerAddress(raw.remoteAddress);
    if (this.pending.size >= this.limits.maxUnauthenticated) {
      this.report({
        kind: 'refused',
        sourceIp,
        reason: `${this.limits.maxUnauthenticated} connections to the ${this.label} port are already waiting to authenticate`,
        outcome: 'connection closed at once',
        throttleKey: `guard-cap\n${this.label}`,
      });
      raw.destroy();
      return;
    }
    const key = keyOf(raw.remoteAddress, raw.remotePort);
    const entry: Pending = { raw, secure: !isTls };
    if (isTls) {
      const reason = `the client did not finish the TLS handshake within ${seconds(this.limits.handshakeTimeoutMs)}`;
      entry.timer = setTimeout(() => this.expire(key, sourceIp, reason), this.limits.handshakeTimeoutMs).unref();
    }
    this.pending.set(key, entry);
    raw.once('close', () => {
      const entry = this.pending.get(key);
      if (entry?.raw !== raw) return;
      clearTimeout(entry.timer);
      this.pending.delete(key);
    });
  }

  /** The handshake is done: the client now has authenticateTimeoutMs to authenticate (listeners that admit at once call authenticated() right after). */
  private secured(socket: tls.TLSSocket): void {
    const key = keyOf(socket.remoteAddress, socket.remotePort);
    const entry = this.pending.get(key);
    if (!entry || entry.secure) return;
    entry.secure = true;
    clearTimeout(entry.timer);
    const sourceIp = peerAddress(socket.remoteAddress);
    const reason = `the client did not authenticate within ${seconds(this.limits.authenticateTimeoutMs)} of its TLS handshake`;
    entry.timer = setTimeout(() => this.expire(key, sourceIp, reason), this.limits.authenticateTimeoutMs).unref();
  }

  /** Node reports a failed handshake and leaves the socket open: close it, and say why (a client that merely went away is not news). */
  private handshakeFailed(err: NodeJS.ErrnoException, socket: tls.TLSSocket): void {
    const sourceIp = peerAddress(socket.remoteAddress);
    socket.destroy();
    if (err.code === 'ECONNRESET') return;
    // Mostly a client that does not trust the local CA (it should use the CA file from `iotctl local ca`).
    this.report({ kind: 'auth-failed', sourceIp, reason: `TLS handshake failed: ${err.message}`, outcome: 'connection closed during the TLS handshake' });
  }

  private expire(key: string, sourceIp: string | undefined, reason: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    this.report({ kind: 'auth-failed', sourceIp, reason, outcome: 'connection closed', throttleKey: `guard-timeout\n${this.label}\n${sourceIp}` });
    entry.raw.destroy();
  }
}
