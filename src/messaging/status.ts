/**
 * The status line `iotctl tail` (and `pub --spool`) keeps at the bottom of a
 * terminal (stderr): connected / reconnecting, and messages per second. Redrawn once a second;
 * cleared around message output when stdout shares the terminal.
 */
import { formatDuration } from '../core/duration.js';
import type { Colors } from '../io/colors.js';
import type { OutStream } from '../io/streams.js';
import type { TailState } from './subscribe.js';

export function statusText(state: TailState, o: { where: string; rate: number; total: number; now: number }, c: Colors): string {
  switch (state.kind) {
    case 'connecting':
      return `${c.yellow('○')} connecting to ${o.where}${state.attempt > 0 ? ` (attempt ${state.attempt + 1})` : ''}`;
    case 'connected': {
      const up = Math.floor((o.now - state.since) / 1000);
      return `${c.green('●')} connected to ${o.where} · ${o.rate.toFixed(o.rate < 10 ? 1 : 0)} msg/s · ${o.total.toLocaleString('en-US')} received · up ${up < 60 ? `${up}s` : formatDuration(up * 1000)}`;
    }
    case 'reconnecting': {
      const reason = state.reason.length > 60 ? state.reason.slice(0, 57) + '...' : state.reason;
      return `${c.red('○')} reconnecting in ${formatDuration(state.inMs)} (attempt ${state.attempt}) · ${o.total.toLocaleString('en-US')} received · ${reason}`;
    }
  }
}

export class StatusLine {
  private state: TailState = { kind: 'connecting', attempt: 0 };
  private drawn = false;
  private total = 0;
  private lastTotal = 0;
  private lastTick = performance.now();
  private rate = 0;
  private timer?: NodeJS.Timeout;

  /** `text`: what to show instead of tail's (pub --spool shows its spool). */
  constructor(
    private readonly stream: OutStream,
    private readonly where: string,
    private readonly colors: Colors,
    private readonly text?: (state: TailState, now: number) => string,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    this.draw();
  }

  set(state: TailState): void {
    this.state = state;
    this.draw();
  }

  count(): void {
    this.total++;
  }

  private tick(): void {
    const now = performance.now();
    this.rate = ((this.total - this.lastTotal) * 1000) / (now - this.lastTick);
    this.lastTotal = this.total;
    this.lastTick = now;
    this.draw();
  }

  draw(): void {
    // A terminal that does not say its width (0) is taken as 100 columns.
    const columns = this.stream.columns || 100;
    let text = this.text ? this.text(this.state, Date.now()) : statusText(this.state, { where: this.where, rate: this.rate, total: this.total, now: Date.now() }, this.colors);
    // A wrapped line could not be cleared with \r: cut it to the width (uncoloured then).
    // eslint-disable-next-line no-control-regex
    const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
    if (plain.length >= columns) text = plain.slice(0, columns - 1);
    this.stream.write(`\r\u001b[2K${text}`);
    this.drawn = true;
  }

  clear(): void {
    if (!this.drawn) return;
    this.stream.write('\r\u001b[2K');
    this.drawn = false;
  }

  stop(): void {
    clearInterval(this.timer);
    this.clear();
  }

  get received(): number {
    return this.total;
  }
}
