/**
 * aedes writes each outgoing packet on its own (QoS 0 deliveries each from
 * their own setImmediate), so over TLS every 100-byte message became its own
 * TLS record and system call. Corking the connection for the rest of the
 * event-loop turn coalesces everything written in it into one write, the way
 * mosquitto batches its output. Backpressure is unchanged: write() still
 * returns false past the high-water mark and 'drain' follows the flush.
 */
import type { Duplex } from 'node:stream';

export function batchWrites(conn: Duplex): void {
  const write = conn.write;
  let corked = false;
  const flush = () => {
    corked = false;
    if (!conn.destroyed) conn.uncork();
  };
  conn.write = function (this: Duplex, ...args: Parameters<Duplex['write']>) {
    if (!corked && !conn.destroyed) {
      corked = true;
      conn.cork();
      setImmediate(flush);
    }
    return write.apply(this, args);
  } as Duplex['write'];
}
