/**
 * Certificate facts as AWS IoT exposes them to policies (iot:Certificate.*),
 * and parsers for the text forms Node's X509Certificate prints. Pure: reading
 * and decoding the certificate happens outside core.
 */

/** Subject/Issuer fields with a policy variable (facts sheet 1.5). */
export const DN_FIELDS = [
  'DistinguishedNameQualifier',
  'Country',
  'Organization',
  'OrganizationalUnit',
  'State',
  'CommonName',
  'SerialNumber',
  'Title',
  'Surname',
  'GivenName',
  'Initials',
  'Pseudonym',
  'GenerationQualifier',
] as const;
export type DnField = (typeof DN_FIELDS)[number];

export const ALT_NAME_KINDS = ['RFC822Name', 'DNSName', 'DirectoryName', 'UniformResourceIdentifier', 'IPAddress'] as const;
export type AltNameKind = (typeof ALT_NAME_KINDS)[number];

export type DistinguishedName = Partial<Record<DnField, readonly string[]>>;
export type AltNames = Partial<Record<AltNameKind, readonly string[]>>;

export interface CertificateFacts {
  /** SHA-256 of the DER, lowercase hex (iot:CertificateId). */
  id?: string;
  serialNumber?: string;
  subject?: DistinguishedName;
  issuer?: DistinguishedName;
  subjectAltNames?: AltNames;
  issuerAltNames?: AltNames;
}

/** AWS IoT caps multi-valued certificate fields at 5 values. */
export const MAX_CERT_VALUES = 5;
/** Longer values are not substituted. */
export const MAX_CERT_VALUE_LENGTH = 1024;

/** AWS IoT does not substitute certificate values with these characters (or over 1024 characters). */
export function isSubstitutableCertValue(value: string): boolean {
  return value.length <= MAX_CERT_VALUE_LENGTH && !/[*$+?#]/.test(value);
}
