/**
 * Per-subscriber outbound bounds, so a slow consumer cannot hurt others.
 *
 * aedes waits for a subscriber's socket to drain before it counts a delivery
 * as done, so one subscriber that stopped reading stalled the router, every
 * publisher on its topics and every other subscriber, indefinitely. Here the
 * broker never sees a connection's backpressure (its writes always "succeed");
 * instead each connection has its own budget, measured in bytes waiting to be
 * sent to it (AWS allows 512 KiB/s per connection, so 512 KiB is about a
 * second behind):
 *
 * - under `softBytes`: every delivery goes out;
 * - over it, the connection is full: QoS 0 deliveries to it are dropped
 *   (reported), QoS 1 deliveries still go out;
 * - full for longer than `stallMs`, or over `hardBytes` (QoS 1 and protocol
 *   replies of a client that does not read), the client is disconnected.
 *
 * A persistent session's backlog, replayed at reconnection, is paced by
 * `room()` instead, so it never overflows the budget.
 */
import type { Duplex } from 'node:stream';

export interface OutboundLimits {
  /** Bytes waiting for a connection past which its QoS 0 deliveries are dropped. Default 512 KiB. */
  softBytes: number;
  /** Bytes waiting for a connection past which it is disconnected. Default 4 MiB. */
  hardBytes: number;
  /** How long a connection may stay full before it is disconnected. Default 10 s. */
  stallMs: number;
}

export const DEFAULT_OUTBOUND_LIMITS: OutboundLimits = { softBytes: 512 * 1024, hardBytes: 4 * 1024 * 1024, stallMs: 10_000 };

export interface OutboundEvents {
  /** A QoS 0 message was not delivered because the connection is full. */
  dropped(queuedBytes: number): void;
  /** The connection must go: it stopped reading. */
  stalled(reason: string): void;
}

/**
 * The fewest bytes a PUBLISH takes on the wire: fixed header and one length
 * byte, the topic (at least one byte per character) and the payload. Never
 * more than what is written: admit() reserves this and each write releases
 * what it wrote, so an estimate above the real size grew the reservation by
 * a few bytes per message until a client that reads everything counted as
 * full (after some 175,000 messages with the default budget).
 */
export function publishBytes(packet: { topic: string; payload: Buffer | string | undefined }): number {
  const payload = packet.payload === undefined ? 0 : typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
  return 4 + packet.topic.length + payload;
}

const KiB = (n: number) => `${Math.round(n / 1024)} KiB`;

export class Outbound {
  /** Bytes admitted by admit() and not yet written (the broker writes a turn later). */
  private reserved = 0;
  private fullSince: number | undefined;
  private gone = false;

  constructor(
    private readonly conn: Duplex,
    private readonly limits: OutboundLimits,
    private readonly now: () => number,
    private readonly events: OutboundEvents,
  ) {
    const write = conn.write;
    const self = this;
    conn.write = function (this: Duplex, ...args: Parameters<Duplex['write']>) {
      const chunk = args[0] as Buffer | string;
      self.reserved = Math.max(0, self.reserved - (typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length));
      write.apply(this, args);
      if (conn.writableLength > limits.hardBytes) self.stall(`${KiB(conn.writableLength)} are waiting to be sent to the client, which is not reading them (the limit is ${KiB(limits.hardBytes)})`);
      // The broker must never wait for one client; the budget above bounds what is buffered.
      return true;
    } as Duplex['write'];
  }

  /** Bytes waiting to be sent to the client. */
  queued(): number {
    return this.conn.writableLength + this.reserved;
  }

  /** Whether QoS 0 messages to this client are being dropped now (it is behind by more than the soft limit). */
  full(): boolean {
    return this.gone || this.queued() >= this.limits.softBytes;
  }

  /** Whether to deliver a message of `bytes` at `qos`; called for every delivery, before the broker writes it. */
  admit(qos: number, bytes: number): boolean {
    if (this.gone) return false;
    const queued = this.queued();
    if (queued < this.limits.softBytes) {
      this.fullSince = undefined;
      this.reserved += bytes;
      return true;
    }
    const now = this.now();
    this.fullSince ??= now;
    if (now - this.fullSince > this.limits.stallMs) {
      this.stall(`the client has not read what was sent to it for ${this.limits.stallMs / 1000} s (${KiB(queued)} are waiting)`);
      return false;
    }
    if (qos === 0) {
      this.events.dropped(queued);
      return false;
    }
    this.reserved += bytes;
    return true;
  }

  /**
   * Resolves when the connection has room again (or is gone), or after a
   * second at most (what is reserved but not yet written drains without a
   * 'drain' event): paces a session's backlog, which asks again.
   */
  async room(): Promise<void> {
    while (!this.gone && !this.conn.destroyed && this.queued() >= this.limits.softBytes) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.conn.off('drain', done);
          this.conn.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, 1000);
        this.conn.on('drain', done);
        this.conn.on('close', done);
      });
    }
  }

  private stall(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    this.events.stalled(reason);
    this.conn.destroy();
  }
}
