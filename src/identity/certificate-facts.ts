/**
 * Reads a PEM certificate into the facts policies see as iot:Certificate.* and iot:CertificateId.
 * Node does not expose the issuer's alternative names, so those variables stay empty.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { usageError } from '../core/errors.js';
import { parseAltNames, parseDistinguishedName, type CertificateFacts } from '../core/policy/certificate.js';
import { readUserFile } from '../io/files.js';

/** Facts from one certificate (the first in the file). The id is the SHA-256 of the DER, as AWS IoT computes it. */
export function certificateFacts(pem: string, file = 'certificate'): CertificateFacts {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw usageError('CERT_UNREADABLE', `${file} is not a PEM certificate: ${(err as Error).message}`, 'pass a file with -----BEGIN CERTIFICATE-----');
  }
  return {
    id: createHash('sha256').update(cert.raw).digest('hex'),
    // Lowercase hex, as src/pki reports it; AWS's exact format for iot:Certificate.SerialNumber is unverified.
    serialNumber: cert.serialNumber.toLowerCase(),
    subject: parseDistinguishedName(cert.subject),
    issuer: parseDistinguishedName(cert.issuer),
    subjectAltNames: parseAltNames(cert.subjectAltName),
  };
}

export async function readCertificateFacts(file: string): Promise<CertificateFacts> {
  return certificateFacts(await readUserFile(file, 'certificate'), file);
}
