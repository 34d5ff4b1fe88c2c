/**
 * Backpressure for publishers. aedes keeps reading a client's socket while
 * its messages wait in the router's queue (a 'readable' event restarts
 * parsing), so a fast QoS 0 publisher could park its whole stream in memory,
 * and that queue is an array whose shift() is O(n): 100,000 queued messages
 * took seconds to drain. Past `high` queued messages a publishing client is
 * paused (its socket stops being read, so TCP pushes back on the publisher);
 * all resume once the queue is down to `low`.
 */
import type { Client } from 'aedes';

interface Pausable {
  pause(): void;
  resume(): void;
  closed: boolean;
}

export class InboundFlow {
  private readonly paused = new Set<Pausable>();
  private watching = false;

  constructor(
    private readonly queue: { readonly length: number },
    private readonly high = 1000,
    private readonly low = 100,
  ) {}

  /** Called for every inbound PUBLISH. */
  admit(client: Client): void {
    if (this.queue.length < this.high) return;
    const c = client as unknown as Pausable;
    if (this.paused.has(c)) return;
    c.pause();
    this.paused.add(c);
    if (!this.watching) {
      this.watching = true;
      setImmediate(this.check);
    }
  }

  private readonly check = (): void => {
    if (this.queue.length > this.low) {
      setImmediate(this.check);
      return;
    }
    this.watching = false;
    const clients = [...this.paused];
    this.paused.clear();
    for (const c of clients) if (!c.closed) c.resume();
  };
}
