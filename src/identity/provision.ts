import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { IoTClient } from '@aws-sdk/client-iot';
import { IotctlError, ExitCode, usageError } from '../core/errors.js';
import { DEVICE_FILE, type DeviceManifest } from '../device/folder.js';
import { exists, writeFileAtomic } from '../io/files.js';
import type { KeyPair, KeySpec, PrivateKeyFormat } from '../pki/keys.js';
import { certificateState, deleteCertificate, registerCertificate, setCertificateStatus, type IssuedCertificate } from '../iot/certificates.js';
import { attachThingPrincipal, deleteThing, describeThingIfExists, detachThingPrincipal, createThing, thingPrincipals } from '../iot/things.js';
import { attachPolicy, createPolicy, deletePolicy, detachPolicy, policyDocumentIfExists, policyExistsDifferent, sameDocument } from '../iot/policies.js';
import { dataEndpoint } from '../iot/endpoints.js';
import type { PendingCertificates } from './pending.js';
import { deviceAccess, type DeviceAccess } from './client-ids.js';
import { iotctlCommand } from '../core/shell.js';
import { parseCertificateArn } from '../core/aws-ids.js';

/**
 * One-shot provisioning of a device: key and CSR made locally, certificate
 * registered, thing and policy created or reused, attachments, endpoint, root
 * CA, and a device folder. Transactional: every step done in this run is
 * undone if a later one fails, and the certificate is activated only as the
 * last AWS step, so even a killed run never leaves an ACTIVE orphan.
 */

export interface PolicyChoice {
  name: string;
  /** The document to create when the policy does not exist; undefined = reuse an existing policy as it is. */
  document?: string;
}

export interface ProvisionPlan {
  thingName: string;
  outDir: string;
  keySpec: KeySpec;
  keyFormat: PrivateKeyFormat;
  attributes?: Record<string, string>;
  thingType?: string;
  policy: PolicyChoice;
  /** Replace files in an existing output folder. */
  force: boolean;
}

export interface ProvisionEnvironment {
  iot: IoTClient;
  region: string;
  /** MQTT port written to device.json (8883 on AWS; the local IoT Core's port locally). */
  mqttPort: number;
  rootCa: () => Promise<string>;
  /** Runs one named step (a spinner on a TTY). */
  step: <T>(title: string, work: () => Promise<T>) => Promise<T>;
  /** The iotctl profile in use, remembered in device.json for `policy test --device`. */
  profile?: string;
  /** Formats an iotctl command line for a hint (with the flags that reach this control plane). */
  command?: (...words: string[]) => string;
  /** The journal of a thing's certificates that a run made and did not activate yet (pending.ts). */
  pending?: (thingName: string) => PendingCertificates;
}

export interface ProvisionResult {
  thingName: string;
  thingArn?: string;
  certificateId: string;
  certificateArn: string;
  policyName: string;
  endpoint: string;
  port: number;
  outDir: string;
  /** The client id written to device.json: one the policy allows. */
  clientId: string;
  /** A topic filter the policy lets the device subscribe to (for the `next:` hint). */
  suggestedFilter?: string;
  /** False when iotctl found no client id the policy allows (the device cannot connect as it is). */
  connectAllowed: boolean;
  files: { certificate: string; privateKey: string; rootCa: string; manifest: string };
  created: { thing: boolean; policy: boolean };
  /** True when the device was already provisioned and nothing changed. */
  unchanged: boolean;
}

const FILES = { certificate: 'certificate.pem', privateKey: 'private.key', rootCa: 'root-ca.pem' } as const;

interface ExistingState {
  thingExists: boolean;
  policyExists: boolean;
  /** The document of the policy the device gets (the existing one, or the one to create). */
  policyDocument?: string;
  /** Set when the folder already holds this thing's active certificate. */
  alreadyProvisioned?: ProvisionResult;
}

/** Looks at what exists, and refuses before creating anything if provisioning would be unsafe. */
async function inspect(plan: ProvisionPlan, env: ProvisionEnvironment, pendingIds: Promise<string[]>): Promise<ExistingState> {
  const { iot } = env;
  const thing = await describeThingIfExists(iot, plan.thingName);
  const policyDocument = await policyDocumentIfExists(iot, plan.policy.name);

  if (policyDocument === undefined && plan.policy.document === undefined) {
    throw new IotctlError('POLICY_NOT_FOUND', `The policy ${plan.policy.name} does not exist.`, {
      exitCode: ExitCode.NOT_FOUND,
      hint: 'create it (iotctl policy create), or provision with --template to create one',
    });
  }
  if (policyDocument !== undefined && plan.policy.document !== undefined && !sameDocument(policyDocument, plan.policy.document)) throw policyExistsDifferent(plan.policy.name);

  if (thing) {
    const active = await activeCertificates(iot, plan.thingName);
    if (active.length > 0) {
      const existing = await readExistingManifest(plan.outDir);
      if (existing && active.includes(existing.certificateId ?? '')) {
        return { thingExists: true, policyExists: policyDocument !== undefined, alreadyProvisioned: resultFromManifest(plan, existing, thing.thingArn, undefined) };
      }
      throw new IotctlError(
        'ALREADY_PROVISIONED',
        `The thing ${plan.thingName} already has an ACTIVE certificate (${active.join(', ')}); provisioning again would create a second one.`,
        { exitCode: ExitCode.FAILURE, hint: `keep using its device folder, or retire the old certificate first: ${(env.command ?? ((...w: string[]) => iotctlCommand(w)))('cert', 'delete', active[0]!, '--force')}` },
      );
    }
  }
  // A folder an interrupted run of this thing wrote (its certificate is pending) is ours to replace.
  const unfinished = (await pendingIds).includes((await readExistingManifest(plan.outDir))?.certificateId ?? '');
  if (!plan.force && !unfinished && (await folderHasFiles(plan.outDir))) {
    throw usageError('OUTPUT_EXISTS', `The folder ${plan.outDir} already holds files.`, 'pass --force to replace them, or choose --out-dir');
  }
  return { thingExists: Boolean(thing), policyExists: policyDocument !== undefined, policyDocument: plan.policy.document ?? policyDocument };
}

async function activeCertificates(iot: IoTClient, thingName: string): Promise<string[]> {
  const active: string[] = [];
  for (const principal of await thingPrincipals(iot, thingName)) {
    const id = parseCertificateArn(principal)?.id;
    if (id && (await certificateState(iot, id))?.status === 'ACTIVE') active.push(id);
  }
  return active;
}

/**
 * The steps a run took, to undo in reverse when a later one fails; and the
 * certificate it made, which stays in the pending journal until it is
 * activated or deleted.
 */
class Rollback {
  certificateId?: string;
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];

  push(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  /** Undoes the steps in reverse and returns an error that says what failed and what was rolled back. */
  async undo(cause: unknown): Promise<IotctlError> {
    const undone: string[] = [];
    const leftOver: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
        undone.push(step.what);
      } catch (err) {
        leftOver.push(`${step.what} FAILED (${(err as Error).message})`);
      }
    }
    const { toIotctlError } = await import('../aws/errors.js');
    const original = toIotctlError(cause);
    const rolledBack = undone.length > 0 ? ` Rolled back: ${undone.join('; ')}.` : ' Nothing had been created.';
    const stuck = leftOver.length > 0 ? ` Could NOT roll back: ${leftOver.join('; ')}.` : '';
    return new IotctlError(original.code, `Provisioning failed: ${original.message.replace(/\.$/, '')}.${rolledBack}${stuck}`, {
      exitCode: original.exitCode,
      hint: original.hint,
      cause,
      details: { rolledBack: undone, notRolledBack: leftOver },
    });
  }

  /** Whether the certificate this run made is still there (its deletion failed or never ran). */
  certificateLeftOver(error: IotctlError): boolean {
    const stuck = (error.details?.notRolledBack as string[] | undefined) ?? [];
    return stuck.some((what) => what.includes(this.certificateId!));
  }
}

export async function provision(plan: ProvisionPlan, env: ProvisionEnvironment): Promise<ProvisionResult> {
  const pki = await import('../pki/index.js');
  const pending = env.pending?.(plan.thingName);
  const state = await env.step('Checking what already exists', () => inspect(plan, env, pending?.list() ?? Promise.resolve([])));
  if (state.alreadyProvisioned) return state.alreadyProvisioned;
  await removeLeftovers(env, pending);

  const rollback = new Rollback();
  try {
    const keyPair = await env.step('Making the private key and CSR on this machine', () => pki.generateKeyPair(plan.keySpec));
    const cert = await registerInactiveCertificate(plan, keyPair, env, pending, rollback);
    const thingArn = state.thingExists ? undefined : await createThingOf(plan, env, rollback);
    if (!state.policyExists) await createPolicyOf(plan, env, rollback);
    await attachCertificate(plan, cert.certificateArn, env, rollback);
    const endpoint = await env.step('Discovering the data endpoint (iot:Data-ATS)', () => dataEndpoint(env.iot));
    const { manifest, access } = deviceManifest(plan, cert, endpoint, state, env);
    await writeDeviceFiles(plan, cert, pki.privateKeyToPem(keyPair.privateKey, plan.keyFormat), manifest, env, rollback);
    await env.step('Activating the certificate', () => setCertificateStatus(env.iot, cert.certificateId, 'ACTIVE'));
    await pending?.remove(cert.certificateId);
    return {
      ...resultFromManifest(plan, manifest, thingArn, access),
      created: { thing: !state.thingExists, policy: !state.policyExists },
      unchanged: false,
    };
  } catch (err) {
    const error = await rollback.undo(err);
    // A certificate the rollback deleted is no longer a leftover; one it could not delete stays listed.
    if (rollback.certificateId && !rollback.certificateLeftOver(error)) await pending?.remove(rollback.certificateId);
    throw error;
  }
}

/**
 * Registers the CSR's certificate INACTIVE (activated last: an interrupted run
 * leaves no ACTIVE orphan) and remembers it until the run ends either way: if
 * the run is killed, the next one removes it.
 */
async function registerInactiveCertificate(plan: ProvisionPlan, keyPair: KeyPair, env: ProvisionEnvironment, pending: PendingCertificates | undefined, rollback: Rollback): Promise<IssuedCertificate> {
  const pki = await import('../pki/index.js');
  const csr = await pki.createCsr({ keyPair, subject: `CN=${plan.thingName}` });
  const cert = await env.step('Registering the certificate', () => registerCertificate(env.iot, csr, { active: false }));
  const { certificateId } = cert;
  rollback.certificateId = certificateId;
  await pending?.add(certificateId);
  rollback.push(`certificate ${certificateId} deactivated and deleted`, async () => {
    await setCertificateStatus(env.iot, certificateId, 'INACTIVE');
    await deleteCertificate(env.iot, certificateId, { force: false });
  });
  // A server that ignores the CSR's key would hand out a certificate this device cannot use (KEY_MISMATCH at connect).
  if (!certificateHoldsKey(cert.certificatePem, pki.publicKeyToDer(keyPair.publicKey))) {
    throw new IotctlError('CERTIFICATE_KEY_MISMATCH', `The certificate the service issued (${certificateId}) does not hold the public key of the CSR.`, {
      hint: 'the control-plane endpoint does not sign CSRs as AWS IoT does: check --endpoint-url / the profile',
    });
  }
  return cert;
}

async function createThingOf(plan: ProvisionPlan, env: ProvisionEnvironment, rollback: Rollback): Promise<string | undefined> {
  const thing = await env.step(`Creating the thing ${plan.thingName}`, () => createThing(env.iot, { thingName: plan.thingName, thingType: plan.thingType, attributes: plan.attributes }));
  rollback.push(`thing ${plan.thingName} deleted`, () => retryWhileAttached(() => deleteThing(env.iot, plan.thingName, { force: false })));
  return thing.thingArn;
}

async function createPolicyOf(plan: ProvisionPlan, env: ProvisionEnvironment, rollback: Rollback): Promise<void> {
  await env.step(`Creating the policy ${plan.policy.name}`, () => createPolicy(env.iot, plan.policy.name, plan.policy.document!));
  rollback.push(`policy ${plan.policy.name} deleted`, () => deletePolicy(env.iot, plan.policy.name, { force: false }));
}

/** The policy onto the certificate, the certificate onto the thing. */
async function attachCertificate(plan: ProvisionPlan, certificateArn: string, env: ProvisionEnvironment, rollback: Rollback): Promise<void> {
  await env.step(`Attaching the policy ${plan.policy.name} to the certificate`, () => attachPolicy(env.iot, plan.policy.name, certificateArn));
  rollback.push(`policy ${plan.policy.name} detached`, () => detachPolicy(env.iot, plan.policy.name, certificateArn));
  // Exclusive: the certificate belongs to this thing only, so thing policy variables resolve whatever the client id.
  await env.step(`Attaching the certificate to the thing ${plan.thingName}`, () => attachThingPrincipal(env.iot, plan.thingName, certificateArn, { exclusive: true }));
  rollback.push(`certificate detached from ${plan.thingName}`, () => detachThingPrincipal(env.iot, plan.thingName, certificateArn));
}

/** device.json: where to connect, as whom (a client id the device's policy allows), with which files. */
function deviceManifest(plan: ProvisionPlan, cert: IssuedCertificate, endpoint: string, state: ExistingState, env: ProvisionEnvironment): { manifest: DeviceManifest; access: DeviceAccess } {
  // The client id the device's policy lets it use (its thing name, or e.g. <homeId>-<thing> under the home template).
  const account = parseCertificateArn(cert.certificateArn)?.account ?? '*';
  const access = deviceAccess(state.policyDocument ?? '{}', { thingName: plan.thingName, region: env.region, account });
  const manifest: DeviceManifest = {
    version: 1,
    thingName: plan.thingName,
    clientId: access.clientId,
    endpoint,
    port: env.mqttPort,
    region: env.region,
    certificateFile: FILES.certificate,
    privateKeyFile: FILES.privateKey,
    rootCaFile: FILES.rootCa,
    certificateId: cert.certificateId,
    certificateArn: cert.certificateArn,
    policyName: plan.policy.name,
    profile: env.profile,
    extraClientIds: access.extraClientIds,
  };
  return { manifest, access };
}

async function writeDeviceFiles(plan: ProvisionPlan, cert: IssuedCertificate, privateKeyPem: string, manifest: DeviceManifest, env: ProvisionEnvironment, rollback: Rollback): Promise<void> {
  const rootCa = await env.rootCa();
  // Pushed first: a write that fails halfway still has its partial files removed.
  rollback.push(`files in ${plan.outDir} removed`, () => removeDeviceFiles(plan.outDir));
  await env.step(`Writing the device folder ${plan.outDir}`, () =>
    writeDeviceFolder(plan.outDir, {
      [FILES.certificate]: { data: cert.certificatePem, mode: 0o644 },
      [FILES.privateKey]: { data: privateKeyPem, mode: 0o600 },
      [FILES.rootCa]: { data: rootCa, mode: 0o644 },
      [DEVICE_FILE]: { data: JSON.stringify(manifest, null, 2) + '\n', mode: 0o644 },
    }),
  );
}

/**
 * Removes the certificates an earlier, killed run made for this thing and never
 * activated (iotctl activates last): detached from the thing and its policies,
 * then deleted. Only certificates this machine's journal lists, and only while INACTIVE.
 */
async function removeLeftovers(env: ProvisionEnvironment, pending: PendingCertificates | undefined): Promise<void> {
  const ids = (await pending?.list()) ?? [];
  for (const certificateId of ids) {
    await env.step(`Removing certificate ${certificateId.slice(0, 12)}… left by an interrupted run`, async () => {
      if ((await certificateState(env.iot, certificateId))?.status === 'INACTIVE') await deleteCertificate(env.iot, certificateId, { force: true });
      await pending!.remove(certificateId);
    });
  }
}

/** Writes every file atomically; the private key is 0600 before it holds a byte. */
async function writeDeviceFolder(dir: string, files: Record<string, { data: string; mode: number }>): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const [name, file] of Object.entries(files)) {
      await writeFileAtomic(path.join(dir, name), file.data, { mode: file.mode });
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' ? 'a part of the path is a file, not a folder' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new IotctlError('OUTPUT_UNWRITABLE', `Cannot write the device folder ${dir}: ${why}`, { hint: 'choose another --out-dir', cause: err });
  }
}

async function removeDeviceFiles(dir: string): Promise<void> {
  for (const name of [...Object.values(FILES), DEVICE_FILE]) {
    await fs.rm(path.join(dir, name), { force: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTDIR') throw err; // the folder was never made
    });
  }
  await fs.rmdir(dir).catch(() => {}); // only if now empty
}

async function folderHasFiles(dir: string): Promise<boolean> {
  if (!(await exists(dir))) return false;
  try {
    return (await fs.readdir(dir)).length > 0;
  } catch {
    throw usageError('OUTPUT_NOT_A_FOLDER', `${dir} exists and is not a folder.`, 'choose another --out-dir');
  }
}

async function readExistingManifest(dir: string): Promise<DeviceManifest | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, DEVICE_FILE), 'utf8')) as DeviceManifest;
  } catch {
    return undefined;
  }
}

function resultFromManifest(plan: ProvisionPlan, m: DeviceManifest, thingArn: string | undefined, access: DeviceAccess | undefined): ProvisionResult {
  const at = (f: string) => path.join(plan.outDir, f);
  return {
    thingName: m.thingName,
    thingArn,
    certificateId: m.certificateId ?? '',
    certificateArn: m.certificateArn ?? '',
    policyName: m.policyName ?? plan.policy.name,
    endpoint: m.endpoint,
    port: m.port,
    outDir: plan.outDir,
    clientId: m.clientId,
    suggestedFilter: access?.filter,
    connectAllowed: access?.connectAllowed ?? true,
    files: { certificate: at(m.certificateFile), privateKey: at(m.privateKeyFile), rootCa: at(m.rootCaFile), manifest: at(DEVICE_FILE) },
    created: { thing: false, policy: false },
    unchanged: true,
  };
}

/** AWS detaches principals asynchronously, so deleting a thing right after DetachThingPrincipal may still see them: retry briefly. */
async function retryWhileAttached(work: () => Promise<unknown>, attempts = 6): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await work();
      return;
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      const attached = e.code === 'THING_HAS_PRINCIPALS' || (e.name === 'InvalidRequestException' && /attached/i.test(e.message ?? ''));
      if (i >= attempts || !attached) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * i));
    }
  }
}

/** Whether the PEM certificate carries this public key (SPKI DER). */
function certificateHoldsKey(certificatePem: string, publicKeyDer: Buffer): boolean {
  try {
    return new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' }).equals(publicKeyDer);
  } catch {
    return false;
  }
}
