/**
 * A certificate authority in files: create one, load it, and issue client or
 * server certificates from a public key (taken from a CSR or a generated pair).
 */
import { randomBytes, type KeyObject, type webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { x509 } from './x509.js';
import { DEFAULT_EC, generateKeyPair, keySpecOf, loadPrivateKey, privateKeyToPem, publicKeyToDer, signatureAlgorithm, toCryptoKeyPair, type KeyPair, type KeySpec } from './keys.js';
import { pemToDer } from './certificate.js';
import { pkiError } from './errors.js';

export interface CertificateAuthority {
  certificatePem: string;
  /** PKCS#8 PEM; store it with mode 0600. */
  privateKeyPem: string;
  subject: string;
  /** @internal parsed forms, so issuing does not re-parse on every call. */
  readonly cert: InstanceType<typeof x509.X509Certificate>;
  readonly signingKey: webcrypto.CryptoKey;
  readonly keySpec: KeySpec;
}

/** A random 20-byte serial number in hex with the high bit clear (DER INTEGERs are signed) and a non-zero first byte. */
export function randomSerialNumber(): string {
  const bytes = randomBytes(20);
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString('hex');
}

export async function createCertificateAuthority(options: { subject: string; keySpec?: KeySpec; notBefore?: Date; notAfter?: Date }): Promise<CertificateAuthority> {
  const keyPair = await generateKeyPair(options.keySpec ?? DEFAULT_EC);
  const keys = await toCryptoKeyPair(keyPair);
  const spec = keySpecOf(keyPair.privateKey)!;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: options.subject,
    notBefore: options.notBefore ?? backdated(),
    notAfter: options.notAfter ?? new Date('2050-12-31T23:59:59Z'),
    keys,
    signingAlgorithm: signatureAlgorithm(spec),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return loadCertificateAuthority(cert.toString('pem') + '\n', privateKeyToPem(keyPair.privateKey, 'pkcs8'));
}

export async function loadCertificateAuthority(certificatePem: string, privateKeyPem: string): Promise<CertificateAuthority> {
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = new x509.X509Certificate(pemToDer(certificatePem, 'CERTIFICATE'));
  } catch (err) {
    throw pkiError('CA_INVALID', `The CA certificate cannot be read: ${(err as Error).message}`, err);
  }
  const keyPair = loadPrivateKey(privateKeyPem);
  const keySpec = keySpecOf(keyPair.privateKey);
  if (!keySpec) throw pkiError('CA_INVALID', 'The CA key must be RSA or EC P-256/P-384/P-521.');
  if (!publicKeyToDer(keyPair.publicKey).equals(Buffer.from(cert.publicKey.rawData))) {
    throw pkiError('CA_INVALID', 'The CA private key does not match the CA certificate.');
  }
  const { privateKey: signingKey } = await toCryptoKeyPair(keyPair);
  return { certificatePem, privateKeyPem, subject: cert.subject, cert, signingKey, keySpec };
}

export interface IssueOptions {
  /** The subject's public key (from a CSR or a generated pair). */
  publicKey: KeyObject;
  /** An RFC 4514-style string (`CN=thing1, O=Acme`) or a parsed name (e.g. a CSR's, to keep its encoding). */
  subject: string | InstanceType<typeof x509.Name>;
  /** client: TLS client auth (device certificates); server: TLS server auth with SANs. */
  profile: 'client' | 'server';
  /** Server certificates: host names and IP addresses for the subjectAltName. */
  hosts?: string[];
  notBefore?: Date;
  notAfter?: Date;
  serialNumber?: string;
}

/** Issues a certificate signed by the CA; returns its PEM. */
export async function issueCertificate(ca: CertificateAuthority, options: IssueOptions): Promise<string> {
  const publicKeyDer = publicKeyToDer(options.publicKey);
  const extensions: InstanceType<typeof x509.Extension>[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      options.profile === 'server' ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([options.profile === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    await x509.SubjectKeyIdentifierExtension.create(publicKeyDer),
  ];
  if (options.hosts?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(options.hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }))));
  }
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: options.serialNumber ?? randomSerialNumber(),
      subject: options.subject,
      issuer: ca.cert.subjectName,
      notBefore: options.notBefore ?? backdated(),
      notAfter: options.notAfter ?? new Date(Date.now() + 365 * 24 * 3600 * 1000),
      publicKey: publicKeyDer,
      signingKey: ca.signingKey,
      signingAlgorithm: signatureAlgorithm(ca.keySpec),
      extensions,
    });
  } catch (err) {
    throw pkiError('CERTIFICATE_ISSUE_FAILED', `Cannot issue the certificate: ${(err as Error).message}`, err);
  }
  return cert.toString('pem') + '\n';
}

/** A server certificate and its key for the given host names, signed by the CA. */
export async function issueServerCertificate(ca: CertificateAuthority, hosts: string[], notAfter?: Date): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const keyPair: KeyPair = await generateKeyPair(DEFAULT_EC);
  const certificatePem = await issueCertificate(ca, { publicKey: keyPair.publicKey, subject: `CN=${hosts[0] ?? 'localhost'}`, profile: 'server', hosts, notAfter });
  return { certificatePem, privateKeyPem: privateKeyToPem(keyPair.privateKey, 'pkcs8') };
}

/** Five minutes in the past, so a device with a slightly slow clock accepts a fresh certificate. */
function backdated(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000 - 5 * 60 * 1000);
}
