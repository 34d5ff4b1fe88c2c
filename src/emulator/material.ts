/**
 * The emulator's key material: the root access key, the local CA, the data
 * plane's server certificate and the OpenID token key. Generated at first
 * start and kept in the data directory (private keys mode 0600), or kept in
 * memory with --ephemeral (then only the public CA certificate is written, to
 * a temporary file, so clients have a CA file to point at).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../io/files.js';
import { createCertificateAuthority, issueServerCertificate, loadCertificateAuthority, type CertificateAuthority } from '../pki/ca.js';
import { isIssuedBy, parseCertificate } from '../pki/certificate.js';
import { DEFAULT_EC, generateKeyPair, privateKeyToPem } from '../pki/keys.js';
import { newAccessKey, type AccessKey } from './credentials.js';
import { FILES, dataFile, unreadableDataFile } from './datadir.js';

export const CA_SUBJECT = 'CN=iotctl local IoT Core CA, O=iotctl';
/** Renew the server certificate when it has less than this left. */
const SERVER_CERT_MIN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

export interface Material {
  root: AccessKey;
  ca: CertificateAuthority;
  caFile: string;
  server: { certificatePem: string; privateKeyPem: string };
  tokenKeyPem: string;
  /** Removed on close (ephemeral mode). */
  tempDir?: string;
}

interface Secrets {
  accessKeyId: string;
  secretAccessKey: string;
  tokenKeyPem: string;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const rootKey = (s: Secrets): AccessKey => ({ accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey });

async function newSecrets(): Promise<Secrets> {
  const { privateKey } = await generateKeyPair(DEFAULT_EC);
  return { ...newAccessKey('AKIA'), tokenKeyPem: privateKeyToPem(privateKey, 'pkcs8') };
}

function serverCertificateFits(pem: string, ca: CertificateAuthority, hosts: string[]): boolean {
  try {
    const info = parseCertificate(pem);
    const names = new Set([...info.subjectAltNames.dnsNames, ...info.subjectAltNames.ipAddresses]);
    return isIssuedBy(pem, ca.certificatePem) && hosts.every((h) => names.has(h)) && info.notAfter.getTime() - Date.now() > SERVER_CERT_MIN_LIFETIME_MS;
  } catch {
    return false;
  }
}

/** In memory only (--ephemeral). */
export async function ephemeralMaterial(hosts: string[], root?: AccessKey): Promise<Material> {
  const secrets = await newSecrets();
  const ca = await createCertificateAuthority({ subject: CA_SUBJECT });
  const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'iotctl-local-'));
  const caFile = path.join(tempDir, 'ca.pem');
  await writeFileAtomic(caFile, ca.certificatePem);
  return { root: root ?? rootKey(secrets), ca, caFile, server: await issueServerCertificate(ca, hosts), tokenKeyPem: secrets.tokenKeyPem, tempDir };
}

/** Parses secrets.json; a damaged one is a clear error, not a crash. */
function parseSecrets(file: string, text: string): Secrets {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw unreadableDataFile(file, `is not valid JSON (${(err as Error).message})`, true);
  }
  const s = value as Partial<Secrets> | null;
  if (typeof s?.accessKeyId !== 'string' || typeof s.secretAccessKey !== 'string' || typeof s.tokenKeyPem !== 'string') {
    throw unreadableDataFile(file, 'does not hold accessKeyId, secretAccessKey and tokenKeyPem', true);
  }
  return s as Secrets;
}

/** Loads what exists in the data directory (createEmulator made sure it is one) and creates what is missing. */
export async function persistentMaterial(dir: string, hosts: string[], root?: AccessKey): Promise<Material> {
  const secretsText = await readOptional(dataFile(dir, 'secrets'));
  let secrets: Secrets;
  if (secretsText) {
    secrets = parseSecrets(dataFile(dir, 'secrets'), secretsText);
  } else {
    secrets = await newSecrets();
    await writeFileAtomic(dataFile(dir, 'secrets'), JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  }

  const [caPem, caKeyPem] = await Promise.all([readOptional(dataFile(dir, 'caCert')), readOptional(dataFile(dir, 'caKey'))]);
  let ca: CertificateAuthority;
  if (caPem && caKeyPem) {
    try {
      ca = await loadCertificateAuthority(caPem, caKeyPem);
    } catch (err) {
      throw unreadableDataFile(dataFile(dir, 'caCert'), `and ${FILES.caKey} are not a CA certificate and its key (${(err as Error).message})`, true);
    }
  } else {
    ca = await createCertificateAuthority({ subject: CA_SUBJECT });
    // Key first: a CA certificate without its key would be useless after a crash.
    await writeFileAtomic(dataFile(dir, 'caKey'), ca.privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(dataFile(dir, 'caCert'), ca.certificatePem);
  }

  const [serverPem, serverKeyPem] = await Promise.all([readOptional(dataFile(dir, 'serverCert')), readOptional(dataFile(dir, 'serverKey'))]);
  let server: Material['server'];
  if (serverPem && serverKeyPem && serverCertificateFits(serverPem, ca, hosts)) {
    server = { certificatePem: serverPem, privateKeyPem: serverKeyPem };
  } else {
    server = await issueServerCertificate(ca, hosts);
    await writeFileAtomic(dataFile(dir, 'serverKey'), server.privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(dataFile(dir, 'serverCert'), server.certificatePem);
  }
  return { root: root ?? rootKey(secrets), ca, caFile: dataFile(dir, 'caCert'), server, tokenKeyPem: secrets.tokenKeyPem };
}
