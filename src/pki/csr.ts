/** Certificate signing requests: create one for a key pair, and read and verify one received. */
import type { KeyObject } from 'node:crypto';
import { x509 } from './x509.js';
import { keySpecOf, loadPublicKey, signatureAlgorithm, toCryptoKeyPair, type KeyPair, type KeySpec } from './keys.js';
import { dnFields, type DistinguishedName } from './names.js';
import { pemToDer } from './certificate.js';
import { pkiError } from './errors.js';

/** A subject as an RFC 4514-style string, e.g. `CN=thing1, O=Acme`. */
export type SubjectText = string;

export async function createCsr(options: { keyPair: KeyPair; subject: SubjectText; dnsNames?: string[] }): Promise<string> {
  const spec = keySpecOf(options.keyPair.privateKey);
  if (!spec) throw pkiError('KEY_UNSUPPORTED', 'A CSR needs an RSA or EC P-256/P-384/P-521 key.');
  const extensions = options.dnsNames?.length
    ? [new x509.SubjectAlternativeNameExtension(options.dnsNames.map((value) => ({ type: 'dns' as const, value })))]
    : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.subject,
    keys: await toCryptoKeyPair(options.keyPair),
    signingAlgorithm: signatureAlgorithm(spec),
    extensions,
  });
  return csr.toString('pem') + '\n';
}

export interface ParsedCsr {
  subject: DistinguishedName;
  subjectText: string;
  /** The subject exactly as encoded in the CSR (string types kept), for issuing. */
  subjectName: InstanceType<typeof x509.Name>;
  publicKey: KeyObject;
  /** Undefined when the key type is not RSA or a NIST EC curve. */
  keySpec?: KeySpec;
}

/**
 * Parses a PEM CSR and verifies its self-signature (proof that the requester
 * holds the private key). Throws CSR_INVALID with a one-line reason.
 */
export async function parseCsr(pem: string): Promise<ParsedCsr> {
  let csr: InstanceType<typeof x509.Pkcs10CertificateRequest>;
  let publicKey: KeyObject;
  try {
    csr = new x509.Pkcs10CertificateRequest(pemToDer(pem, 'CERTIFICATE REQUEST'));
    publicKey = loadPublicKey(Buffer.from(csr.publicKey.rawData));
  } catch (err) {
    throw pkiError('CSR_INVALID', `Not a readable PKCS#10 certificate request: ${(err as Error).message}`, err);
  }
  const keySpec = keySpecOf(publicKey);
  let verified = false;
  if (keySpec) {
    try {
      verified = await csr.verify();
    } catch {
      verified = false;
    }
    if (!verified) throw pkiError('CSR_INVALID', 'The certificate request signature does not verify.');
  }
  return { subject: dnFields(csr.subjectName), subjectText: csr.subject, subjectName: csr.subjectName, publicKey, keySpec };
}
