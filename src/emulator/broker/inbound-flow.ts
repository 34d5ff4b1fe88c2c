/**
 * Backpressure for publishers. aedes keeps reading a client's socket while
 * its messages wait in the router's queue, so a fast QoS 0 publisher could
 * park its whole stream in memory, and that queue is an array whose shift()
 * is O(n): 100,000 queued messages took seconds to drain. Past `high` queued
 * messages, an authorized PUBLISH waits here before aedes routes it. While
 * its packets wait, aedes reads no more from that client's socket, so TCP
 * pushes back on the publisher. Waiting publishes resume in arrival order
 * (one FIFO for all clients keeps each client's order).
 *
 * (aedes's own client.pause() cannot be used here: pausing mid-batch loses
 * its count of packets in flight, and the client is never read again.)
 */
export class InboundFlow {
  private waiting: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly queue: { readonly length: number },
    private readonly high = 1000,
  ) {}

  get pending(): number {
    return this.waiting.length - this.head;
  }

  /** Runs `proceed` now, or once the router has room (and everything that waited before has gone). */
  admit(proceed: () => void): void {
    if (this.pending === 0 && this.queue.length < this.high) return proceed();
    this.waiting.push(proceed);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.release);
  }

  private readonly release = (): void => {
    this.scheduled = false;
    while (this.pending > 0 && this.queue.length < this.high) {
      const next = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as never;
      next();
    }
    if (this.pending > 0) this.schedule();
    else {
      this.waiting = [];
      this.head = 0;
    }
  };
}
