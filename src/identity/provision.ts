import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { IoTClient } from '@aws-sdk/client-iot';
import { IotctlError, ExitCode, usageError } from '../core/errors.js';
import { DEVICE_FILE, type DeviceManifest } from '../device/folder.js';
import { exists, writeFileAtomic } from '../io/files.js';
import type { KeySpec, PrivateKeyFormat } from '../pki/keys.js';
import { attachedPolicyNames, principalThings, thingPrincipals } from '../aws/principals.js';
import type { PendingCertificates } from './pending.js';
import { sameDocument } from '../policy/ensure.js';
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

interface Undo {
  what: string;
  run: () => Promise<void>;
}

const FILES = { certificate: 'certificate.pem', privateKey: 'private.key', rootCa: 'root-ca.pem' } as const;

type Sdk = typeof import('@aws-sdk/client-iot');

interface ExistingState {
  thingExists: boolean;
  policyExists: boolean;
  /** The document of the policy the device gets (the existing one, or the one to create). */
  policyDocument?: string;
  /** Set when the folder already holds this thing's active certificate. */
  alreadyProvisioned?: ProvisionResult;
}

/** Looks at what exists, and refuses before creating anything if provisioning would be unsafe. */
async function inspect(sdk: Sdk, plan: ProvisionPlan, env: ProvisionEnvironment, pendingIds: Promise<string[]>): Promise<ExistingState> {
  const { iot } = env;
  const thing = await iot.send(new sdk.DescribeThingCommand({ thingName: plan.thingName })).catch(ignoreNotFound);
  const policy = await iot.send(new sdk.GetPolicyCommand({ policyName: plan.policy.name })).catch(ignoreNotFound);

  if (!policy && plan.policy.document === undefined) {
    throw new IotctlError('POLICY_NOT_FOUND', `The policy ${plan.policy.name} does not exist.`, {
      exitCode: ExitCode.NOT_FOUND,
      hint: 'create it (iotctl policy create), or provision with --template to create one',
    });
  }
  if (policy && plan.policy.document !== undefined && !sameDocument(policy.policyDocument, plan.policy.document)) {
    throw usageError(
      'POLICY_EXISTS_DIFFERENT',
      `The policy ${plan.policy.name} already exists with a different document.`,
      `reuse it as it is with --policy ${plan.policy.name}, or pick another name with --policy-name`,
    );
  }

  if (thing) {
    const active = await activeCertificates(sdk, env.iot, plan.thingName);
    if (active.length > 0) {
      const existing = await readExistingManifest(plan.outDir);
      if (existing && active.includes(existing.certificateId ?? '')) {
        return { thingExists: true, policyExists: Boolean(policy), alreadyProvisioned: resultFromManifest(plan, existing, thing.thingArn, undefined) };
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
  return { thingExists: Boolean(thing), policyExists: Boolean(policy), policyDocument: plan.policy.document ?? policy?.policyDocument };
}

async function activeCertificates(sdk: Sdk, iot: IoTClient, thingName: string): Promise<string[]> {
  const active: string[] = [];
  for (const principal of await thingPrincipals(iot, thingName)) {
    const id = parseCertificateArn(principal)?.id;
    if (!id) continue;
    const described = await iot.send(new sdk.DescribeCertificateCommand({ certificateId: id })).catch(ignoreNotFound);
    if (described?.certificateDescription?.status === 'ACTIVE') active.push(id);
  }
  return active;
}

export async function provision(plan: ProvisionPlan, env: ProvisionEnvironment): Promise<ProvisionResult> {
  const sdk = await import('@aws-sdk/client-iot');
  const pki = await import('../pki/index.js');
  const { iot, step } = env;
  const pending = env.pending?.(plan.thingName);
  const state = await step('Checking what already exists', () => inspect(sdk, plan, env, pending?.list() ?? Promise.resolve([])));
  if (state.alreadyProvisioned) return state.alreadyProvisioned;
  await removeLeftovers(sdk, env, pending);

  const undo: Undo[] = [];
  let made: string | undefined;
  try {
    const keyPair = await step('Making the private key and CSR on this machine', () => pki.generateKeyPair(plan.keySpec));
    const csr = await pki.createCsr({ keyPair, subject: `CN=${plan.thingName}` });

    // Registered INACTIVE, activated last: an interrupted run leaves no ACTIVE orphan.
    const cert = await step('Registering the certificate', () =>
      iot.send(new sdk.CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive: false })),
    );
    const certificateId = cert.certificateId!;
    const certificateArn = cert.certificateArn!;
    // Remembered until this run ends either way: if it is killed, the next run removes the certificate.
    made = certificateId;
    await pending?.add(certificateId);
    undo.push({
      what: `certificate ${certificateId} deactivated and deleted`,
      run: async () => {
        await iot.send(new sdk.UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
        await iot.send(new sdk.DeleteCertificateCommand({ certificateId }));
      },
    });
    // A server that ignores the CSR's key would hand out a certificate this device cannot use (KEY_MISMATCH at connect).
    if (!certificateHoldsKey(cert.certificatePem ?? '', pki.publicKeyToDer(keyPair.publicKey))) {
      throw new IotctlError('CERTIFICATE_KEY_MISMATCH', `The certificate the service issued (${certificateId}) does not hold the public key of the CSR.`, {
        hint: 'the control-plane endpoint does not sign CSRs as AWS IoT does: check --endpoint-url / the profile',
      });
    }

    let thingArn: string | undefined;
    if (!state.thingExists) {
      const thing = await step(`Creating the thing ${plan.thingName}`, () =>
        iot.send(
          new sdk.CreateThingCommand({
            thingName: plan.thingName,
            thingTypeName: plan.thingType,
            attributePayload: plan.attributes ? { attributes: plan.attributes } : undefined,
          }),
        ),
      );
      thingArn = thing.thingArn;
      undo.push({ what: `thing ${plan.thingName} deleted`, run: () => retryWhileAttached(() => iot.send(new sdk.DeleteThingCommand({ thingName: plan.thingName }))) });
    }

    if (!state.policyExists) {
      await step(`Creating the policy ${plan.policy.name}`, () =>
        iot.send(new sdk.CreatePolicyCommand({ policyName: plan.policy.name, policyDocument: plan.policy.document })),
      );
      undo.push({ what: `policy ${plan.policy.name} deleted`, run: async () => void (await iot.send(new sdk.DeletePolicyCommand({ policyName: plan.policy.name }))) });
    }

    await step(`Attaching the policy ${plan.policy.name} to the certificate`, () =>
      iot.send(new sdk.AttachPolicyCommand({ policyName: plan.policy.name, target: certificateArn })),
    );
    undo.push({
      what: `policy ${plan.policy.name} detached`,
      run: async () => void (await iot.send(new sdk.DetachPolicyCommand({ policyName: plan.policy.name, target: certificateArn }))),
    });

    await step(`Attaching the certificate to the thing ${plan.thingName}`, () =>
      // Exclusive: the certificate belongs to this thing only, so thing policy variables resolve whatever the client id.
      iot.send(new sdk.AttachThingPrincipalCommand({ thingName: plan.thingName, principal: certificateArn, thingPrincipalType: 'EXCLUSIVE_THING' })),
    );
    undo.push({
      what: `certificate detached from ${plan.thingName}`,
      run: async () => void (await iot.send(new sdk.DetachThingPrincipalCommand({ thingName: plan.thingName, principal: certificateArn }))),
    });

    const endpoint = await step('Discovering the data endpoint (iot:Data-ATS)', async () => {
      const found = await iot.send(new sdk.DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
      return found.endpointAddress!;
    });
    const rootCa = await env.rootCa();
    // The client id the device's policy lets it use (its thing name, or e.g. <homeId>-<thing> under the home template).
    const account = parseCertificateArn(certificateArn)?.account ?? '*';
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
      certificateId,
      certificateArn,
      policyName: plan.policy.name,
      profile: env.profile,
      extraClientIds: access.extraClientIds,
    };
    // Pushed first: a write that fails halfway still has its partial files removed.
    undo.push({ what: `files in ${plan.outDir} removed`, run: () => removeDeviceFiles(plan.outDir) });
    await step(`Writing the device folder ${plan.outDir}`, () =>
      writeDeviceFolder(plan.outDir, {
        [FILES.certificate]: { data: cert.certificatePem!, mode: 0o644 },
        [FILES.privateKey]: { data: pki.privateKeyToPem(keyPair.privateKey, plan.keyFormat), mode: 0o600 },
        [FILES.rootCa]: { data: rootCa, mode: 0o644 },
        [DEVICE_FILE]: { data: JSON.stringify(manifest, null, 2) + '\n', mode: 0o644 },
      }),
    );

    await step('Activating the certificate', () => iot.send(new sdk.UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' })));
    await pending?.remove(certificateId);

    return {
      ...resultFromManifest(plan, manifest, thingArn, access),
      created: { thing: !state.thingExists, policy: !state.policyExists },
      unchanged: false,
    };
  } catch (err) {
    const error = await rollBack(err, undo);
    // A certificate the rollback deleted is no longer a leftover; one it could not delete stays listed.
    const stuck = (error.details?.notRolledBack as string[] | undefined) ?? [];
    if (made && !stuck.some((what) => what.includes(made!))) await pending?.remove(made);
    throw error;
  }
}

/**
 * Removes the certificates an earlier, killed run made for this thing and never
 * activated (iotctl activates last): detached from the thing and its policies,
 * then deleted. Only certificates this machine's journal lists, and only while INACTIVE.
 */
async function removeLeftovers(sdk: Sdk, env: ProvisionEnvironment, pending: PendingCertificates | undefined): Promise<void> {
  const ids = (await pending?.list()) ?? [];
  for (const certificateId of ids) {
    await env.step(`Removing certificate ${certificateId.slice(0, 12)}… left by an interrupted run`, async () => {
      const described = await env.iot.send(new sdk.DescribeCertificateCommand({ certificateId })).catch(ignoreNotFound);
      const d = described?.certificateDescription;
      if (d && d.status === 'INACTIVE') {
        const arn = d.certificateArn!;
        for (const thingName of await principalThings(env.iot, arn)) await env.iot.send(new sdk.DetachThingPrincipalCommand({ thingName, principal: arn }));
        for (const policyName of await attachedPolicyNames(env.iot, arn)) await env.iot.send(new sdk.DetachPolicyCommand({ policyName, target: arn }));
        await env.iot.send(new sdk.DeleteCertificateCommand({ certificateId }));
      }
      await pending!.remove(certificateId);
    });
  }
}

/** Undoes the steps in reverse and returns an error that says what failed and what was rolled back. */
async function rollBack(cause: unknown, undo: Undo[]): Promise<IotctlError> {
  const undone: string[] = [];
  const leftOver: string[] = [];
  for (const step of undo.reverse()) {
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

/** AWS detaches principals asynchronously, so DeleteThing right after DetachThingPrincipal may still see them: retry briefly. */
async function retryWhileAttached(work: () => Promise<unknown>, attempts = 6): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await work();
      return;
    } catch (err) {
      const e = err as { name?: string; message?: string };
      if (i >= attempts || e.name !== 'InvalidRequestException' || !/attached/i.test(e.message ?? '')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * i));
    }
  }
}

function ignoreNotFound(err: { name?: string }): undefined {
  if (err.name === 'ResourceNotFoundException') return undefined;
  throw err;
}

/** Whether the PEM certificate carries this public key (SPKI DER). */
function certificateHoldsKey(certificatePem: string, publicKeyDer: Buffer): boolean {
  try {
    return new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' }).equals(publicKeyDer);
  } catch {
    return false;
  }
}
