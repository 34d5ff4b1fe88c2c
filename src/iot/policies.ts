/**
 * AWS IoT policies: create, read, list, update (with --prune at the version
 * limit), delete (with --force's clean-up), attach and detach, and "make sure
 * this policy exists" for provisioning and registration. Each function takes
 * the IoT client and returns plain data.
 */
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAttachedPoliciesCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListTargetsForPolicyCommand,
  type IoTClient,
  type PolicyVersion,
} from '@aws-sdk/client-iot';
import { ExitCode, IotctlError, notFoundError, usageError } from '../core/errors.js';
import { ifExists, listAll } from '../aws/responses.js';

/** AWS IoT keeps at most 5 versions of a policy. */
export const MAX_POLICY_VERSIONS = 5;

export async function createPolicy(iot: IoTClient, policyName: string, document: string) {
  const created = await iot.send(new CreatePolicyCommand({ policyName, policyDocument: document }));
  return { policyName: created.policyName, policyArn: created.policyArn, versionId: created.policyVersionId };
}

export interface PolicyDocumentVersion {
  policyName: string;
  policyArn?: string;
  versionId?: string;
  isDefaultVersion: boolean;
  /** The document as JSON, or its text when it is not JSON. */
  document: unknown;
}

/** The default version of a policy, or the version asked for. */
export async function getPolicy(iot: IoTClient, policyName: string, versionId?: string): Promise<PolicyDocumentVersion> {
  if (versionId) {
    const v = await iot.send(new GetPolicyVersionCommand({ policyName, policyVersionId: versionId }));
    return { policyName, policyArn: v.policyArn, versionId: v.policyVersionId, isDefaultVersion: v.isDefaultVersion === true, document: parseDocument(v.policyDocument) };
  }
  const p = await iot.send(new GetPolicyCommand({ policyName }));
  return { policyName, policyArn: p.policyArn, versionId: p.defaultVersionId, isDefaultVersion: true, document: parseDocument(p.policyDocument) };
}

function parseDocument(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return text;
  }
}

export async function listPolicies(iot: IoTClient) {
  return listAll(async (marker) => {
    const page = await iot.send(new ListPoliciesCommand({ marker, pageSize: 250 }));
    return { items: (page.policies ?? []).map((p) => ({ policyName: p.policyName, policyArn: p.policyArn })), next: page.nextMarker };
  });
}

export async function listPolicyVersions(iot: IoTClient, policyName: string) {
  const listed = await iot.send(new ListPolicyVersionsCommand({ policyName }));
  return (listed.policyVersions ?? []).map((v) => ({ versionId: v.versionId, isDefaultVersion: v.isDefaultVersion === true, createDate: v.createDate }));
}

export interface UpdatedPolicy {
  policyName: string;
  versionId?: string;
  isDefaultVersion: boolean;
  /** The old version deleted to make room (--prune). */
  prunedVersion?: string;
}

/**
 * Adds a new default version. At the version limit AWS refuses; `prune`
 * deletes the oldest non-default version first.
 */
export async function updatePolicy(iot: IoTClient, policyName: string, document: string, options: { prune: boolean }): Promise<UpdatedPolicy> {
  const versions = (await iot.send(new ListPolicyVersionsCommand({ policyName }))).policyVersions ?? [];
  let prunedVersion: string | undefined;
  if (versions.length >= MAX_POLICY_VERSIONS) {
    const oldest = oldestNonDefault(versions);
    if (!options.prune || !oldest) {
      throw new IotctlError('VersionsLimitExceededException', `The policy ${policyName} already has ${versions.length} versions, the most AWS IoT keeps.`, {
        exitCode: ExitCode.FAILURE,
        hint: `pass --prune to delete the oldest non-default version${oldest ? ` (${oldest})` : ''} first`,
      });
    }
    await iot.send(new DeletePolicyVersionCommand({ policyName, policyVersionId: oldest }));
    prunedVersion = oldest;
  }
  const created = await iot.send(new CreatePolicyVersionCommand({ policyName, policyDocument: document, setAsDefault: true }));
  return { policyName, versionId: created.policyVersionId, isDefaultVersion: created.isDefaultVersion === true, prunedVersion };
}

function oldestNonDefault(versions: PolicyVersion[]): string | undefined {
  const byAge = (a: PolicyVersion, b: PolicyVersion) => (a.createDate?.getTime() ?? 0) - (b.createDate?.getTime() ?? 0) || Number(a.versionId) - Number(b.versionId);
  return versions.filter((v) => !v.isDefaultVersion).sort(byAge)[0]?.versionId;
}

export interface DeletedPolicy {
  policyName: string;
  deleted: true;
  detachedTargets: string[];
  deletedVersions: string[];
}

/**
 * Deletes a policy. AWS refuses while it is attached or has other versions;
 * `force` detaches it from every target and deletes its other versions first.
 */
export async function deletePolicy(iot: IoTClient, policyName: string, options: { force: boolean }): Promise<DeletedPolicy> {
  const detachedTargets: string[] = [];
  const deletedVersions: string[] = [];
  if (options.force) {
    for (const target of await policyTargets(iot, policyName)) {
      await detachPolicy(iot, policyName, target);
      detachedTargets.push(target);
    }
    const versions = (await iot.send(new ListPolicyVersionsCommand({ policyName }))).policyVersions ?? [];
    for (const v of versions.filter((v) => !v.isDefaultVersion)) {
      await iot.send(new DeletePolicyVersionCommand({ policyName, policyVersionId: v.versionId }));
      deletedVersions.push(v.versionId!);
    }
  }
  await iot.send(new DeletePolicyCommand({ policyName }));
  return { policyName, deleted: true, detachedTargets, deletedVersions };
}

/** AttachPolicy; the target is a certificate ARN or a Cognito identity id. */
export async function attachPolicy(iot: IoTClient, policyName: string, target: string): Promise<void> {
  await iot.send(new AttachPolicyCommand({ policyName, target }));
}

export async function detachPolicy(iot: IoTClient, policyName: string, target: string): Promise<void> {
  await iot.send(new DetachPolicyCommand({ policyName, target }));
}

/** What a policy is attached to: certificate ARNs and Cognito identity ids. */
export async function policyTargets(iot: IoTClient, policyName: string): Promise<string[]> {
  return listAll(async (marker) => {
    const page = await iot.send(new ListTargetsForPolicyCommand({ policyName, marker, pageSize: 250 }));
    return { items: page.targets ?? [], next: page.nextMarker };
  });
}

/** Names of the policies attached to a target (certificate ARN or Cognito identity id). */
export async function attachedPolicyNames(iot: IoTClient, target: string): Promise<string[]> {
  return listAll(async (marker) => {
    const page = await iot.send(new ListAttachedPoliciesCommand({ target, marker }));
    return { items: (page.policies ?? []).map((p) => p.policyName ?? ''), next: page.nextMarker };
  });
}

/** A policy's default document, or undefined when there is no such policy. */
export async function policyDocumentIfExists(iot: IoTClient, policyName: string): Promise<string | undefined> {
  const found = await ifExists(iot.send(new GetPolicyCommand({ policyName })));
  return found ? (found.policyDocument ?? '') : undefined;
}

/** Whether two policy documents say the same (as JSON, whatever the spacing). */
export function sameDocument(a: string | undefined, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a ?? '')) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/** The refusal when a policy of the name holds another document than the one to use. */
export function policyExistsDifferent(name: string): IotctlError {
  return usageError('POLICY_EXISTS_DIFFERENT', `The policy ${name} already exists with a different document.`, `reuse it as it is with --policy ${name}, or pick another name with --policy-name`);
}

/**
 * Makes sure a policy exists: reuses it when it holds the same document (or
 * when no document is given), creates it when missing, and refuses when a
 * policy of that name holds something else.
 */
export async function ensurePolicy(iot: IoTClient, name: string, document: string | undefined): Promise<{ name: string; created: boolean }> {
  const existing = await policyDocumentIfExists(iot, name);
  if (existing !== undefined) {
    if (document !== undefined && !sameDocument(existing, document)) throw policyExistsDifferent(name);
    return { name, created: false };
  }
  if (document === undefined) throw notFoundError('POLICY_NOT_FOUND', `The policy ${name} does not exist.`, 'create it (iotctl policy create), or use --template');
  await createPolicy(iot, name, document);
  return { name, created: true };
}
