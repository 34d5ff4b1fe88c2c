/**
 * Authenticated Cognito identities: AWS IoT allows a request only when BOTH the
 * identity pool's authenticated-role IAM policy and the IoT policies attached
 * to the identity allow it; an explicit Deny on either side wins.
 * (Unauthenticated identities: only the role policy counts.) decide.ts applies it.
 */
import type { Decision, Evaluation } from './evaluate.js';

export interface CombinedEvaluation<E extends Evaluation = Evaluation> {
  decision: Decision;
  allowed: boolean;
  action: string;
  resource: string;
  /** Which side decided: both (allowed or both deny), or the side that denied. */
  decidedBy: 'both' | 'iam' | 'iot';
  reason: string;
  iam: E;
  iot: E;
  missingVariables: string[];
}

/** Combines the role-policy result with the IoT-policy result. */
export function combineCognito<E extends Evaluation>(iam: E, iot: E): CombinedEvaluation<E> {
  let decision: Decision;
  let decidedBy: CombinedEvaluation['decidedBy'];
  let reason: string;
  if (iam.decision === 'EXPLICIT_DENY' || iot.decision === 'EXPLICIT_DENY') {
    decision = 'EXPLICIT_DENY';
    decidedBy = iam.decision === 'EXPLICIT_DENY' && iot.decision === 'EXPLICIT_DENY' ? 'both' : iam.decision === 'EXPLICIT_DENY' ? 'iam' : 'iot';
    reason = decidedBy === 'both' ? 'both the role policy and an IoT policy deny it explicitly' : `the ${decidedBy === 'iam' ? 'role policy' : 'IoT policies'} deny it explicitly`;
  } else if (iam.allowed && iot.allowed) {
    [decision, decidedBy, reason] = ['ALLOWED', 'both', 'both the role policy and the IoT policies allow it'];
  } else {
    decision = 'IMPLICIT_DENY';
    decidedBy = !iam.allowed && !iot.allowed ? 'both' : !iam.allowed ? 'iam' : 'iot';
    reason =
      decidedBy === 'both'
        ? 'neither the role policy nor the IoT policies allow it'
        : decidedBy === 'iam'
          ? 'the IoT policies allow it, but the role policy does not'
          : 'the role policy allows it, but no IoT policy attached to the identity does';
  }
  return {
    decision,
    allowed: decision === 'ALLOWED',
    action: iot.action,
    resource: iot.resource,
    decidedBy,
    reason,
    iam,
    iot,
    missingVariables: [...new Set([...iam.missingVariables, ...iot.missingVariables])],
  };
}
