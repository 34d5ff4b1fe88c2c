/**
 * Actions in policies: IAM wildcards, case-insensitive names (IAM rule), and
 * the list of AWS IoT actions an IoT policy can grant (for lint).
 */
import { compileWildcard, hasWildcard, type Matcher } from './wildcard.js';

/** Actions checked by AWS IoT Core for devices and apps (data plane, shadows, jobs, retained messages, credentials). */
export const IOT_POLICY_ACTIONS = [
  'iot:Connect',
  'iot:Publish',
  'iot:Subscribe',
  'iot:Receive',
  'iot:RetainPublish',
  'iot:GetRetainedMessage',
  'iot:ListRetainedMessages',
  'iot:DeleteConnection',
  'iot:GetThingShadow',
  'iot:UpdateThingShadow',
  'iot:DeleteThingShadow',
  'iot:ListNamedShadowsForThing',
  'iot:DescribeJobExecution',
  'iot:GetPendingJobExecutions',
  'iot:StartNextPendingJobExecution',
  'iot:UpdateJobExecution',
  'iot:AssumeRoleWithCertificate',
] as const;

/** Services whose actions may appear in an IoT policy (Greengrass uses IoT policies too). */
export const IOT_POLICY_SERVICES = ['iot', 'greengrass'];

/** A compiled Action/NotAction list. Call with the action already lowercased. */
export class ActionMatcher {
  /** Lowercased exact action → the pattern as written. */
  private readonly exact = new Map<string, string>();
  private readonly wild: { pattern: string; match: Matcher }[] = [];

  constructor(readonly patterns: readonly string[]) {
    for (const p of patterns) {
      const lower = p.toLowerCase();
      if (hasWildcard(lower)) this.wild.push({ pattern: p, match: compileWildcard(lower) });
      else if (!this.exact.has(lower)) this.exact.set(lower, p);
    }
  }

  /** The pattern (as written) that matches the lowercased action, if any. */
  find(lowerAction: string): string | undefined {
    return this.exact.get(lowerAction) ?? this.wild.find((w) => w.match(lowerAction))?.pattern;
  }

  matches(lowerAction: string): boolean {
    if (this.exact.has(lowerAction)) return true;
    for (const w of this.wild) if (w.match(lowerAction)) return true;
    return false;
  }
}

/** The canonical spelling of a known IoT action, matched case-insensitively. */
export function canonicalAction(action: string): string | undefined {
  const lower = action.toLowerCase();
  return IOT_POLICY_ACTIONS.find((a) => a.toLowerCase() === lower);
}
