/**
 * What AWS IoT policies see of a certificate: iot:CertificateId,
 * iot:Certificate.SerialNumber, .Subject.*, .Issuer.* and
 * .Subject.AlternativeName.*. One reading, for the broker and `iotctl policy
 * test` alike, so a certificate's variables resolve the same everywhere.
 */
import type { AltNames, CertificateFacts } from '../core/policy/certificate.js';
import { parseCertificate } from './certificate.js';

/** Facts of a PEM certificate (the first in the text); throws a PkiError when it is not one. */
export function certificateFacts(pem: string): CertificateFacts {
  const info = parseCertificate(pem);
  const alt: AltNames = {};
  if (info.subjectAltNames.dnsNames.length) alt.DNSName = info.subjectAltNames.dnsNames;
  if (info.subjectAltNames.ipAddresses.length) alt.IPAddress = info.subjectAltNames.ipAddresses;
  if (info.subjectAltNames.emails.length) alt.RFC822Name = info.subjectAltNames.emails;
  if (info.subjectAltNames.uris.length) alt.UniformResourceIdentifier = info.subjectAltNames.uris;
  return { id: info.certificateId, serialNumber: info.serialNumber, subject: info.subject, issuer: info.issuer, subjectAltNames: alt };
}
