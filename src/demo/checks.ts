/**
 * One check of the demo: an operation, what AWS IoT should decide, what the
 * local IoT Core did, and (for a denial) the broker's own explanation.
 */
import { ExitCode, isIotctlError } from '../core/errors.js';
import type { AuthLogEvent } from '../emulator/broker/auth-log.js';
import type { IncomingMessage, MqttSession } from '../mqtt/types.js';

export type Outcome = 'allowed' | 'denied' | 'error';

export interface Check {
  chapter: string;
  title: string;
  expected: 'allowed' | 'denied';
  actual: Outcome;
  ok: boolean;
  /** What happened, in a few words (e.g. "message received", "SUBACK 0x80"). */
  detail?: string;
  /** For a denial: the broker's reason and deciding statement. */
  why?: string;
}

/** Runs an operation expected to be allowed or denied; errors of other kinds are failures of the demo. */
export async function attempt(work: () => Promise<string | void>): Promise<{ actual: Outcome; detail?: string }> {
  try {
    const detail = await work();
    return { actual: 'allowed', detail: detail || undefined };
  } catch (err) {
    if (isIotctlError(err) && err.exitCode === ExitCode.DENIED) return { actual: 'denied', detail: err.message };
    return { actual: 'error', detail: (err as Error).message };
  }
}

/** Resolves with the first message on `topic`, or undefined after `ms`. */
export function nextMessage(session: MqttSession, topic: string, ms = 3000): Promise<IncomingMessage | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    session.onMessage((m) => {
      if (m.topic === topic) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

/** The broker's explanation for a denial of `clientId` (it may be logged just after the client sees the close). */
export async function brokerReason(events: AuthLogEvent[], since: number, clientId: string | undefined, action?: string): Promise<string | undefined> {
  for (let waited = 0; waited <= 1000; waited += 50) {
    const event = events.slice(since).find((e) => (clientId === undefined || e.clientId === clientId) && (action === undefined || e.action === action));
    if (event) {
      const statement = event.deciding?.[0];
      const decidedBy = statement ? ` (${statement.policyName} v${statement.policyVersionId ?? '?'} Statement[${statement.statementIndex}]${statement.sid ? ` "${statement.sid}"` : ''})` : '';
      return `${event.reason}${decidedBy} → ${event.outcome}`;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}
