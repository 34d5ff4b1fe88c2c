/**
 * The policies a `policy test` request is decided against: policy files, or
 * the policies attached to a principal in AWS IoT, or a device folder's. A
 * device folder or principal also fills in the flags it implies (certificate,
 * thing, client id, Cognito identity, account), unless they were given.
 */
import type { IoTClient } from '@aws-sdk/client-iot';
import { usageError } from '../core/errors.js';
import { compileAll, parseArn, type PolicyInput, type PolicySides } from '../core/policy/index.js';
import type { CertificateFacts } from '../core/policy/certificate.js';
import { readDeviceFolder } from '../device/folder.js';
import { certificateFacts } from '../identity/certificate-facts.js';
import type { InStream } from '../io/streams.js';
import { readPolicyFile, requireValid } from '../policy-documents/files.js';
import type { RequestFlags } from './request.js';

/** The request's flags and where its policies come from. */
export interface SourceFlags extends RequestFlags {
  principal?: string;
  device?: string;
  policyFile?: string[];
  rolePolicyFile?: string[];
}

export interface GatherDeps {
  /** Read by `--policy-file -`. */
  stdin: InStream;
  /** The IoT control-plane client: asked for only when policies come from a principal. */
  iot(): Promise<IoTClient>;
  /** A device folder names the profile and region it was provisioned with: use them unless the command line names others. */
  useDevice(device: { profile?: string; region: string }): void;
}

/** The policies a request is decided against. */
export interface PolicySet {
  /** IoT policies (from files, or attached to the principal). */
  iot: PolicyInput[];
  /** An authenticated Cognito identity's role policies: then both sides must allow. */
  role?: PolicyInput[];
  /** The certificate's facts, when the policies came from a certificate principal. */
  certificate?: CertificateFacts;
  /** Region of the principal's ARN: requests are checked where the principal lives. */
  region?: string;
}

/**
 * --device: the folder's certificate, thing and client id fill the flags not
 * given, and its certificate is the principal unless --policy-file is given.
 * Runs before anything reads settings or asks for the IoT client.
 */
export async function applyDevice(flags: SourceFlags, deps: Pick<GatherDeps, 'useDevice'>): Promise<void> {
  if (!flags.device) return;
  const device = await readDeviceFolder(flags.device);
  deps.useDevice(device);
  flags.cert ??= device.certificatePath;
  flags.thing ??= device.thingName;
  flags.clientId ??= device.clientId;
  if (!flags.policyFile?.length) flags.principal ??= device.certificateArn ?? device.certificateId;
}

/** The policies of --principal (attached in AWS IoT) and --policy-file, or of --policy-file alone. */
export function gatherPolicies(flags: SourceFlags, deps: GatherDeps): Promise<PolicySet> {
  return flags.principal ? gatherFromPrincipal(flags, deps) : gatherFromFiles(flags, deps.stdin);
}

/**
 * The policies attached to --principal in AWS IoT (default versions), plus any
 * --policy-file. Fills in what the principal implies: the certificate's facts,
 * its one attached thing (as --thing), or the Cognito identity (as --cognito-id).
 */
async function gatherFromPrincipal(flags: SourceFlags, deps: GatherDeps): Promise<PolicySet> {
  const { parsePrincipal, fetchPrincipalPolicies } = await import('../iot/principals.js');
  const principal = parsePrincipal(flags.principal!, '--principal');
  const fetched = await fetchPrincipalPolicies(await deps.iot(), principal);
  const fromFiles = flags.policyFile?.length ? await gatherFromFiles(flags, deps.stdin) : { iot: [] };
  if (principal.kind === 'cognito') flags.cognitoId ??= principal.identityId;
  if (principal.kind === 'certificate' && flags.thing === undefined && fetched.things.length === 1) flags.thing = fetched.things[0];
  const arn = parseArn(fetched.target);
  if (arn) flags.accountId ??= arn.account;
  const certificate = fetched.certificatePem === undefined ? undefined : certificateFacts(fetched.certificatePem, fetched.target);
  return { region: arn?.region, ...fromFiles, iot: [...fetched.policies, ...fromFiles.iot], certificate };
}

/** Policies from --policy-file / --role-policy-file, validated. */
async function gatherFromFiles(flags: SourceFlags, stdin: InStream): Promise<PolicySet> {
  const files = flags.policyFile ?? [];
  if (files.length === 0) {
    throw usageError('POLICY_REQUIRED', 'No policy to test against.', 'pass --policy-file FILE (repeatable), or --principal to use the policies attached in AWS IoT');
  }
  const iot = await Promise.all(files.map(async (f) => requireValid(await readPolicyFile(f, stdin, 'iot'), 'iot')));
  const set: PolicySet = { iot };
  if (flags.rolePolicyFile?.length) {
    set.role = await Promise.all(flags.rolePolicyFile.map(async (f) => requireValid(await readPolicyFile(f, stdin, 'iam'), 'iam')));
  }
  return set;
}

/** The set as the policy engine's sides: the role files (an authenticated Cognito identity's role) and the IoT policies. */
export function sidesOf(set: PolicySet, flags: SourceFlags): PolicySides {
  const iot = { policies: compileAll(set.iot), owner: set.certificate || flags.cert ? ('certificate' as const) : set.role || flags.cognitoId ? ('identity' as const) : ('files' as const) };
  if (!set.role) return { iot };
  return { iot, role: { policies: compileAll(set.role), roleArn: (flags.rolePolicyFile ?? []).join(', '), known: true, authenticated: true } };
}
