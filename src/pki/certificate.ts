/** Reading certificates: the AWS certificate ID, PEM/DER conversion and the fields policies look at. */
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { x509 } from './x509.js';
import { dnFields, type DistinguishedName } from './names.js';
import { pkiError } from './errors.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** The DER bytes of the first PEM block with the given label (or of any label). */
export function pemToDer(pem: string, label?: string): Buffer {
  const match = PEM_BLOCK.exec(pem);
  if (!match || (label && match[1] !== label)) {
    throw pkiError('PEM_INVALID', `Expected a PEM block${label ? ` "${label}"` : ''}.`);
  }
  const der = Buffer.from(match[2]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (der.length === 0) throw pkiError('PEM_INVALID', 'The PEM block is empty.');
  return der;
}

export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/** AWS IoT's certificateId: the lowercase hex SHA-256 of the certificate's DER. */
export function certificateId(pem: string): string {
  return createHash('sha256').update(pemToDer(pem, 'CERTIFICATE')).digest('hex');
}

export interface SubjectAltNames {
  dnsNames: string[];
  ipAddresses: string[];
  emails: string[];
  uris: string[];
}

export interface CertificateInfo {
  certificateId: string;
  subject: DistinguishedName;
  issuer: DistinguishedName;
  subjectText: string;
  issuerText: string;
  /** Lowercase hex, as openssl prints it without colons. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  subjectAltNames: SubjectAltNames;
  isCa: boolean;
}

export function parseCertificate(pem: string): CertificateInfo {
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = new x509.X509Certificate(pemToDer(pem, 'CERTIFICATE'));
  } catch (err) {
    throw pkiError('CERTIFICATE_INVALID', `Not a readable X.509 certificate: ${(err as Error).message}`, err);
  }
  const sans: SubjectAltNames = { dnsNames: [], ipAddresses: [], emails: [], uris: [] };
  const sanExt = cert.getExtension(x509.SubjectAlternativeNameExtension);
  for (const item of sanExt?.names.items ?? []) {
    if (item.type === 'dns') sans.dnsNames.push(item.value);
    else if (item.type === 'ip') sans.ipAddresses.push(item.value);
    else if (item.type === 'email') sans.emails.push(item.value);
    else if (item.type === 'url') sans.uris.push(item.value);
  }
  return {
    certificateId: certificateId(pem),
    subject: dnFields(cert.subjectName),
    issuer: dnFields(cert.issuerName),
    subjectText: cert.subject,
    issuerText: cert.issuer,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    subjectAltNames: sans,
    isCa: cert.getExtension(x509.BasicConstraintsExtension)?.ca === true,
  };
}

/** Whether `pem` was signed by `issuerPem` (signature only; validity dates are the caller's business). */
export function isIssuedBy(pem: string, issuerPem: string): boolean {
  try {
    const cert = new NodeX509(pem);
    const issuer = new NodeX509(issuerPem);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
