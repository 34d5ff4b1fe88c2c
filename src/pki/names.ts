/**
 * Distinguished names as AWS IoT sees them: the field names of the
 * iot:Certificate.Subject.* / Issuer.* policy variables, each with every value
 * in order (multi-valued fields are common: several OUs).
 */
import { x509 } from './x509.js';

/** IoT policy-variable field name → attribute OID. */
export const DN_FIELDS = {
  CommonName: '2.5.4.3',
  Country: '2.5.4.6',
  State: '2.5.4.8',
  Locality: '2.5.4.7',
  Organization: '2.5.4.10',
  OrganizationalUnit: '2.5.4.11',
  DistinguishedNameQualifier: '2.5.4.46',
  SerialNumber: '2.5.4.5',
  Title: '2.5.4.12',
  Surname: '2.5.4.4',
  GivenName: '2.5.4.42',
  Initials: '2.5.4.43',
  Pseudonym: '2.5.4.65',
  GenerationQualifier: '2.5.4.44',
} as const;

export type DnField = keyof typeof DN_FIELDS;
export type DistinguishedName = Partial<Record<DnField, string[]>>;

/** The fields of a parsed name; absent fields are left out. */
export function dnFields(name: InstanceType<typeof x509.Name>): DistinguishedName {
  const out: DistinguishedName = {};
  for (const [field, oid] of Object.entries(DN_FIELDS) as [DnField, string][]) {
    const values = name.getField(oid);
    if (values.length > 0) out[field] = values;
  }
  return out;
}

/** Parses an RFC 4514-style string (`CN=thing1, O=Acme`) into fields. */
export function parseDistinguishedName(text: string): DistinguishedName {
  return dnFields(new x509.Name(text));
}
