/**
 * `iotctl policy test` and `policy explain` below the CLI: gather the policies
 * (files, or those attached to a principal or device in AWS IoT), prepare the
 * request from the flags, decide it with the one policy engine
 * (core/policy/decide.ts) and print the report. Exit 0 allowed, 3 denied.
 */
import { ExitCode } from '../core/errors.js';
import { decide } from '../core/policy/index.js';
import type { Output } from '../io/output.js';
import { applyDevice, gatherPolicies, sidesOf, type GatherDeps, type PolicySet, type SourceFlags } from './gather.js';
import { formatReport, testReport } from './report.js';
import { prepareRequest } from './request.js';

export interface PolicyTestOptions extends SourceFlags {
  /** Add the statement-by-statement trace (`policy explain`, `policy test --explain`). */
  explain: boolean;
}

export interface PolicyTestDeps extends GatherDeps {
  out: Pick<Output, 'result'>;
  /** The region the command line names (--region), or the device folder's once useDevice has run. */
  region(): string | undefined;
  /** The active profile's region setting; it may throw on profile trouble. */
  profileRegion(): Promise<string | undefined>;
}

export async function runPolicyTest(options: PolicyTestOptions, deps: PolicyTestDeps): Promise<ExitCode> {
  // A device folder or principal fills in the flags it implies: on a copy, so the caller's options stay as given.
  const flags: PolicyTestOptions = { ...options };
  await applyDevice(flags, deps);
  const set = await gatherPolicies(flags, deps);
  const prepared = await prepareRequest(flags, await requestRegion(set, deps));
  if (set.certificate && !prepared.context.certificate) prepared.context.certificate = set.certificate;
  const decision = decide(sidesOf(set, flags), prepared.request, prepared.context, { trace: true });
  const report = testReport(decision, set, prepared, flags, options.explain);
  deps.out.result(report, formatReport);
  return report.allowed ? ExitCode.OK : ExitCode.DENIED;
}

/** The region for request ARNs: the command line's (or the device's), the principal's, the profile's, else us-east-1. */
async function requestRegion(set: PolicySet, deps: Pick<PolicyTestDeps, 'region' | 'profileRegion'>): Promise<string> {
  const named = deps.region() ?? set.region;
  if (named !== undefined) return named;
  try {
    return (await deps.profileRegion()) ?? 'us-east-1';
  } catch {
    return 'us-east-1'; // an offline command should not fail on profile trouble
  }
}
