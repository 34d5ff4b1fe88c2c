/**
 * Checks of the local TLS material before connecting. The device SDK reports
 * a bad file as "Failed to create tls context" and a bad server certificate
 * only after 10-30 s, so everything that can be checked here is: the files
 * exist and parse, the key belongs to the certificate, the certificate is
 * within its validity period, the CA file holds at least one certificate.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { ExitCode, IotctlError, usageError } from '../core/errors.js';
import { shellQuote } from '../core/shell.js';
import { fileError } from '../io/files.js';

export interface TlsMaterial {
  certPem?: string;
  keyPem?: string;
  caPem?: string;
  /** SHA-256 of the certificate's DER: the AWS IoT certificate id. */
  certificateId?: string;
  /** What the user should fix but need not stop for (a private key others can read). */
  warnings?: string[];
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, what);
  }
}

function parseCertificate(pem: string, file: string): X509Certificate {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw usageError('CERT_INVALID', `${file} is not a PEM certificate (no "BEGIN CERTIFICATE" block).`, 'pass the device certificate (certificate.pem) with --cert');
  }
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw usageError('CERT_INVALID', `${file} does not hold a valid certificate: ${(err as Error).message}.`);
  }
}

function parseKey(pem: string, file: string): KeyObject {
  if (/ENCRYPTED/.test(pem)) {
    throw usageError('KEY_ENCRYPTED', `The private key ${file} is encrypted; the device SDK needs an unencrypted key.`, `decrypt it: openssl pkey -in ${file} -out key.pem`);
  }
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw usageError('KEY_INVALID', `${file} is not a PEM private key: ${(err as Error).message}.`, 'pass the device private key (private.key) with --key');
  }
}

function checkValidity(cert: X509Certificate, file: string, now: Date): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now > to) {
    throw new IotctlError('CERT_EXPIRED', `The certificate ${file} expired on ${to.toISOString()}.`, {
      exitCode: ExitCode.CONNECTION,
      hint: 'make a new one (iotctl provision, or iotctl cert create --csr)',
    });
  }
  if (now < from) {
    throw new IotctlError('CERT_NOT_YET_VALID', `The certificate ${file} is not valid before ${from.toISOString()}.`, {
      exitCode: ExitCode.CONNECTION,
      hint: "check this machine's clock",
    });
  }
}

/** Every certificate in a PEM bundle. */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** As ssh warns: a private key others can read is no longer private. */
async function keyPermissionWarnings(keyFile: string): Promise<string[]> {
  const { stat } = await import('node:fs/promises');
  const mode = (await stat(keyFile).catch(() => undefined))?.mode;
  if (mode === undefined || process.platform === 'win32' || (mode & 0o077) === 0) return [];
  return [`the private key ${keyFile} can be read by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); make it private: chmod 600 ${shellQuote(keyFile)}`];
}

/** Reads and checks the certificate, key and CA files; throws an IotctlError naming the problem. */
export async function checkTlsMaterial(files: { certFile?: string; keyFile?: string; caFile?: string }, now = new Date()): Promise<TlsMaterial> {
  const material: TlsMaterial = {};
  if (files.certFile !== undefined || files.keyFile !== undefined) {
    if (!files.certFile || !files.keyFile) {
      throw usageError('CERT_AND_KEY_REQUIRED', `Mutual TLS needs both a certificate and its private key; only the ${files.certFile ? 'certificate' : 'key'} was given.`, 'pass --cert and --key, or --device <folder>');
    }
    const [certPem, keyPem] = await Promise.all([readPem(files.certFile, 'certificate file'), readPem(files.keyFile, 'private key file')]);
    const cert = parseCertificate(certPem, files.certFile);
    const key = parseKey(keyPem, files.keyFile);
    if (!cert.checkPrivateKey(key)) {
      throw usageError('KEY_MISMATCH', `The private key ${files.keyFile} does not match the certificate ${files.certFile}.`, 'use the key the certificate was issued for (a device folder keeps them together)');
    }
    checkValidity(cert, files.certFile, now);
    material.certPem = certPem;
    material.keyPem = keyPem;
    material.certificateId = createHash('sha256').update(cert.raw).digest('hex');
    material.warnings = await keyPermissionWarnings(files.keyFile);
  }
  if (files.caFile) {
    const caPem = await readPem(files.caFile, 'CA file');
    const certs = splitPemCertificates(caPem);
    if (certs.length === 0) throw usageError('CA_INVALID', `The CA file ${files.caFile} holds no PEM certificate.`, 'pass a root CA in PEM form (e.g. AmazonRootCA1.pem) with --ca');
    for (const pem of certs) parseCertificate(pem, files.caFile);
    material.caPem = caPem;
  }
  return material;
}
