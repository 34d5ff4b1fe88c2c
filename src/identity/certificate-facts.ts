/** A certificate file's facts for `policy test --cert` (pki/certificate-facts.ts reads them as the broker does). */
import { usageError } from '../core/errors.js';
import type { CertificateFacts } from '../core/policy/certificate.js';
import { readUserFile } from '../io/files.js';
import { certificateFacts as readFacts } from '../pki/certificate-facts.js';

/** Facts from one certificate (the first in the text); a usage error naming `file` when it is not one. */
export function certificateFacts(pem: string, file = 'certificate'): CertificateFacts {
  try {
    return readFacts(pem);
  } catch (err) {
    throw usageError('CERT_UNREADABLE', `${file} is not a PEM certificate: ${(err as Error).message}`, 'pass a file with -----BEGIN CERTIFICATE-----');
  }
}

export async function readCertificateFacts(file: string): Promise<CertificateFacts> {
  return certificateFacts(await readUserFile(file, 'certificate'), file);
}
