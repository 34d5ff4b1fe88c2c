/**
 * The auth log: every authentication failure, authorization denial and
 * refused limit of the data plane, with what AWS never tells you (principal,
 * action, resource, deciding statement, missing variables). One JSON object
 * per line in a file in the data directory (rotated at a size), and a
 * callback for `iotctl local start` to print a readable line on stderr.
 * `iotctl local logs` reads the file; this module loads nothing heavy.
 */
import { promises as fs } from 'node:fs';
import { parseCertificateArn } from '../../core/aws-ids.js';
import type { Decision } from '../../core/policy/index.js';
import type { DecidingStatementReport } from '../authorization/authority.js';
import type { GuardEvent } from '../connection-guard.js';

export type AuthLogKind =
  /** The client could not prove who it is: unknown or inactive certificate, bad signature. */
  | 'auth-failed'
  /** A policy decision said no. */
  | 'denied'
  /** An AWS limit or protocol rule was broken (topic too long, MQTT 5, ...). */
  | 'refused'
  /** A live connection was closed because its certificate stopped being ACTIVE. */
  | 'disconnected'
  /** A stored policy has statements the evaluator cannot read: they are enforced fail-closed. */
  | 'policy-unreadable';

export interface AuthLogEvent {
  time: string;
  event: AuthLogKind;
  /** mqtts, wss and https: the data plane; http: the control plane's listener. */
  transport?: 'mqtts' | 'wss' | 'https' | 'http';
  sourceIp?: string;
  clientId?: string;
  /** Certificate ARN, Cognito identity id, the account root, or the access key id when it is unknown. */
  principal?: string;
  principalKind?: 'certificate' | 'cognito-authenticated' | 'cognito-unauthenticated' | 'root' | 'unknown';
  action?: string;
  resource?: string;
  decision?: Decision;
  reason: string;
  deciding?: DecidingStatementReport[];
  missingVariables?: string[];
  /** The policies evaluated. */
  policies?: string[];
  /** What the client experienced: "connection closed", "SUBACK 0x80", "not delivered", "HTTP 403"... */
  outcome: string;
  /** Identical events suppressed just before this one. */
  repeated?: number;
}

/** An event before the log stamps its time. */
export type AuthLogEntry = Omit<AuthLogEvent, 'time'>;

const LABELS: Record<AuthLogKind, string> = {
  'auth-failed': 'AUTH FAILED',
  denied: 'DENIED',
  refused: 'REFUSED',
  disconnected: 'DISCONNECTED',
  'policy-unreadable': 'POLICY UNREADABLE',
};

/** `arn:aws:iot:us-east-1:123456789012:topic/a/b` → `topic/a/b`. */
function shortResource(resource: string): string {
  const m = /^arn:aws:iot:[^:]*:\d*:(.*)$/.exec(resource);
  return m ? m[1]! : resource;
}

function shortPrincipal(e: AuthLogEvent): string | undefined {
  if (!e.principal) return undefined;
  const cert = parseCertificateArn(e.principal);
  if (cert) return `cert ${cert.id.slice(0, 12)}…`;
  if (e.principalKind === 'root') return 'root key';
  if (e.principalKind?.startsWith('cognito')) return `${e.principalKind === 'cognito-authenticated' ? 'authenticated' : 'unauthenticated'} identity ${e.principal}`;
  return e.principal;
}

/** Colours for the time and the label (a terminal); plain text by default. */
export interface AuthLogStyle {
  time?(text: string): string;
  label?(kind: AuthLogKind, text: string): string;
}

/** One readable line, e.g. `<time> DENIED iot:Publish topic/a/b (client c1, cert 1a2b…, 127.0.0.1, mqtts): reason [unresolved: ...] → connection closed`. */
export function formatAuthLogEvent(e: AuthLogEvent, style: AuthLogStyle = {}): string {
  const who = [e.clientId !== undefined ? `client ${e.clientId}` : undefined, shortPrincipal(e), e.sourceIp, e.transport].filter(Boolean).join(', ');
  const what = e.action ? `${e.action}${e.resource ? ` ${shortResource(e.resource)}` : ''} ` : '';
  const missing = e.missingVariables?.length ? ` [unresolved: ${e.missingVariables.map((v) => `\${${v}}`).join(', ')}]` : '';
  const repeated = e.repeated ? ` (and ${e.repeated} more like it before)` : '';
  const label = LABELS[e.event] ?? String(e.event).toUpperCase();
  const time = style.time ? style.time(e.time) : e.time;
  return `${time} ${style.label ? style.label(e.event, label) : label} ${what}(${who}): ${e.reason}${missing} → ${e.outcome}${repeated}`;
}

export interface AuthLogOptions {
  /** The JSON-lines file; none keeps nothing on disk. */
  file?: string;
  /** Every event, as written (for stderr). */
  onEvent?: (event: AuthLogEvent) => void;
  /** Rotate to `<file>.1` beyond this size. */
  maxBytes?: number;
  now?: () => number;
}

export const DEFAULT_AUTH_LOG_MAX_BYTES = 5 * 1024 * 1024;
/** Repeats of one throttled event (same key) within this window are counted, not written. */
const THROTTLE_MS = 10_000;
const MAX_THROTTLE_KEYS = 10_000;

export class AuthLog {
  private pending = '';
  private writing: Promise<void> | undefined;
  private size = -1;
  private readonly recent = new Map<string, { until: number; suppressed: number }>();

  constructor(private readonly options: AuthLogOptions = {}) {}

  get file(): string | undefined {
    return this.options.file;
  }

  /**
   * Records an event. With a `throttleKey`, repeats within 10 s are only
   * counted (a subscriber to `#` denied Receive on a busy topic would flood the log).
   */
  write(event: AuthLogEntry, throttleKey?: string): void {
    const now = this.options.now?.() ?? Date.now();
    let repeated = 0;
    if (throttleKey !== undefined) {
      const seen = this.recent.get(throttleKey);
      if (seen && now < seen.until) {
        seen.suppressed++;
        return;
      }
      repeated = seen?.suppressed ?? 0;
      if (this.recent.size >= MAX_THROTTLE_KEYS) this.recent.clear();
      this.recent.set(throttleKey, { until: now + THROTTLE_MS, suppressed: 0 });
    }
    const full: AuthLogEvent = { time: new Date(now).toISOString(), ...event };
    if (repeated > 0) full.repeated = repeated;
    this.options.onEvent?.(full);
    if (this.options.file) {
      this.pending += JSON.stringify(full) + '\n';
      this.writing ??= this.drain();
    }
  }

  /** Resolves when everything written so far is in the file. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    const file = this.options.file!;
    try {
      while (this.pending.length > 0) {
        const chunk = this.pending;
        this.pending = '';
        if (this.size < 0) this.size = await fs.stat(file).then((s) => s.size, () => 0);
        if (this.size > 0 && this.size + chunk.length > (this.options.maxBytes ?? DEFAULT_AUTH_LOG_MAX_BYTES)) {
          await fs.rename(file, `${file}.1`).catch(() => {});
          this.size = 0;
        }
        await fs.appendFile(file, chunk, { mode: 0o600 });
        this.size += Buffer.byteLength(chunk);
      }
    } catch {
      // A full disk must not take the broker down; the stderr line was already shown.
      this.pending = '';
    } finally {
      this.writing = undefined;
    }
  }
}

/** Writes what a listener's ConnectionGuard closed to the log. */
export function guardEventWriter(log: AuthLog, transport: NonNullable<AuthLogEvent['transport']>): (e: GuardEvent) => void {
  return (e) => log.write({ event: e.kind, transport, sourceIp: e.sourceIp, principalKind: 'unknown', reason: e.reason, outcome: e.outcome }, e.throttleKey);
}

/** Parses the log's lines, skipping any torn or foreign line. */
export function parseAuthLog(text: string): AuthLogEvent[] {
  const out: AuthLogEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as AuthLogEvent;
      if (typeof e.event === 'string' && typeof e.time === 'string') out.push(e);
    } catch {
      // a line cut by a crash
    }
  }
  return out;
}
