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

/** OpenSSL short names (as Node prints them) → field names. Locality has no IoT variable. */
/** Looked up by names read from certificates (anyone's): Maps, so `constructor` is just unknown. */
const DN_SHORT_NAMES: ReadonlyMap<string, DnField> = new Map(Object.entries({
  dnqualifier: 'DistinguishedNameQualifier',
  c: 'Country',
  o: 'Organization',
  ou: 'OrganizationalUnit',
  st: 'State',
  cn: 'CommonName',
  serialnumber: 'SerialNumber',
  title: 'Title',
  sn: 'Surname',
  gn: 'GivenName',
  givenname: 'GivenName',
  surname: 'Surname',
  initials: 'Initials',
  pseudonym: 'Pseudonym',
  generationqualifier: 'GenerationQualifier',
} satisfies Record<string, DnField>));

/** Parses Node's X509Certificate#subject / #issuer text ("C=US\nO=Acme\nCN=dev1"), in certificate order. */
export function parseDistinguishedName(text: string): DistinguishedName {
  const out: Partial<Record<DnField, string[]>> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const field = DN_SHORT_NAMES.get(line.slice(0, eq).trim().toLowerCase());
    if (!field) continue;
    (out[field] ??= []).push(line.slice(eq + 1));
  }
  return out;
}

const ALT_NAME_PREFIXES: ReadonlyMap<string, AltNameKind> = new Map(Object.entries({
  email: 'RFC822Name',
  dns: 'DNSName',
  dirname: 'DirectoryName',
  uri: 'UniformResourceIdentifier',
  'ip address': 'IPAddress',
} satisfies Record<string, AltNameKind>));

/** Splits on ", " outside double quotes (Node quotes values that contain separators). */
function splitAltNames(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && quoted) {
      current += ch + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === ',' && text[i + 1] === ' ') {
      parts.push(current);
      current = '';
      i++;
      continue;
    }
    current += ch;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    return value.slice(1, -1);
  }
}

/** Parses Node's X509Certificate#subjectAltName ("DNS:a.example, IP Address:10.0.0.1, email:x@y"). */
export function parseAltNames(text: string | undefined): AltNames {
  const out: Partial<Record<AltNameKind, string[]>> = {};
  if (!text) return out;
  for (const part of splitAltNames(text)) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    const kind = ALT_NAME_PREFIXES.get(part.slice(0, colon).trim().toLowerCase());
    if (!kind) continue;
    (out[kind] ??= []).push(unquote(part.slice(colon + 1)));
  }
  return out;
}
