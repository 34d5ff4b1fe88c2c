/**
 * Publish pacing. AWS IoT allows 100 publishes per second per connection and
 * drops the excess (and delays traffic above 512 KiB/s), so against real AWS
 * endpoints iotctl paces itself instead of losing messages. Against a local
 * broker there is no limit. `--rate` overrides either way (0 = unlimited).
 */

export const AWS_PUBLISHES_PER_SECOND = 100;
export const AWS_BYTES_PER_SECOND = 512 * 1024;

/** Whether a host is an AWS IoT endpoint (its per-connection limits apply). */
export function isAwsHost(host: string): boolean {
  return /\.amazonaws\.com(\.cn)?$/i.test(host);
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export interface PaceLimits {
  /** Messages per second; 0 = unlimited. */
  messagesPerSecond: number;
  /** Payload bytes per second; 0 = unlimited. */
  bytesPerSecond: number;
}

export function paceFor(host: string, rateFlag: number | undefined): PaceLimits {
  if (rateFlag !== undefined) return { messagesPerSecond: rateFlag, bytesPerSecond: 0 };
  return isAwsHost(host) ? { messagesPerSecond: AWS_PUBLISHES_PER_SECOND, bytesPerSecond: AWS_BYTES_PER_SECOND } : { messagesPerSecond: 0, bytesPerSecond: 0 };
}

/**
 * A token bucket per limit. Messages are spaced evenly (a burst of one): a
 * bucket of a second's worth would let 200 through in some second, and AWS
 * drops what is over 100. Bytes may burst up to a second's worth (AWS delays
 * that traffic rather than dropping it). `delay()` takes a message and
 * returns how long to wait before sending it (0 = now), so the unlimited path
 * costs nothing per message.
 */
export class Pacer {
  private msgTokens = 1;
  private byteTokens: number;
  private last: number;

  constructor(
    private readonly limits: PaceLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.byteTokens = limits.bytesPerSecond;
    this.last = now();
  }

  get unlimited(): boolean {
    return this.limits.messagesPerSecond <= 0 && this.limits.bytesPerSecond <= 0;
  }

  /** Milliseconds to wait before sending a message of `bytes`. */
  delay(bytes: number): number {
    if (this.unlimited) return 0;
    const t = this.now();
    const elapsed = (t - this.last) / 1000;
    this.last = t;
    let wait = 0;
    const { messagesPerSecond: mps, bytesPerSecond: bps } = this.limits;
    if (mps > 0) {
      this.msgTokens = Math.min(1, this.msgTokens + elapsed * mps) - 1;
      if (this.msgTokens < 0) wait = Math.max(wait, (-this.msgTokens / mps) * 1000);
    }
    if (bps > 0) {
      // A message larger than the bucket still goes, after the bucket refills.
      this.byteTokens = Math.min(bps, this.byteTokens + elapsed * bps) - bytes;
      if (this.byteTokens < 0) wait = Math.max(wait, (-this.byteTokens / bps) * 1000);
    }
    return wait;
  }
}
