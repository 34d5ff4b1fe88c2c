/**
 * Reconnect delays for `iotctl tail`: exponential with "equal jitter" (half
 * fixed, half random). The random half spreads a fleet of clients that lost
 * the broker at the same moment; the fixed half keeps a retry from ever being
 * immediate, which AWS IoT would throttle (1 CONNECT per second per client id).
 */
export interface BackoffOptions {
  /** First delay's ceiling. */
  baseMs?: number;
  /** No delay exceeds this. */
  maxMs?: number;
  /** [0, 1); injectable for tests. */
  random?: () => number;
}

export const DEFAULT_BACKOFF = { baseMs: 1000, maxMs: 30_000 } as const;

/** The delay before reconnect attempt `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Counts attempts; a connection that stayed up for `stableMs` resets the
 * count, so a flapping broker backs off while a rare drop retries quickly.
 */
export class Backoff {
  private attempt = 0;
  private connectedAt?: number;

  constructor(
    private readonly options: BackoffOptions & { stableMs?: number } = {},
    private readonly now: () => number = Date.now,
  ) {}

  connected(): void {
    this.connectedAt = this.now();
  }

  /** The delay before the next attempt, after a failure or a lost connection. */
  next(): number {
    if (this.connectedAt !== undefined && this.now() - this.connectedAt >= (this.options.stableMs ?? 10_000)) this.attempt = 0;
    this.connectedAt = undefined;
    return backoffDelay(this.attempt++, this.options);
  }

  get attempts(): number {
    return this.attempt;
  }
}
