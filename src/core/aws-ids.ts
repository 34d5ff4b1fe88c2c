/**
 * The shapes of AWS identifiers, in one place for the CLI and the local IoT
 * Core alike: regions, account ids, certificate ids and ARNs, role ARNs,
 * Cognito identity ids, and the region in an AWS IoT host name. Pure.
 */

/** `us-east-1`, `eu-west-3`, `us-gov-west-1`. */
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
export const ACCOUNT_ID = /^\d{12}$/;
/** A certificate id: 64 lowercase hex digits (the SHA-256 of the certificate's DER). */
export const CERTIFICATE_ID = /^[0-9a-f]{64}$/;
/** Cognito identity (and identity pool) ids: `<region>:<uuid>` (the service model's pattern). */
export const COGNITO_ID = /^[\w-]+:[0-9a-f-]+$/;

export const isRegion = (value: string): boolean => REGION.test(value);
export const isAccountId = (value: string): boolean => ACCOUNT_ID.test(value);

/** A Cognito identity id as iotctl accepts one on its command line: `<region>:<uuid>`. */
export function isCognitoIdentityId(value: string): boolean {
  const colon = value.indexOf(':');
  return colon > 0 && isRegion(value.slice(0, colon)) && /^[0-9a-f-]{36}$/.test(value.slice(colon + 1));
}

const CERT_ARN = /^arn:(aws[a-z-]*):iot:([a-z0-9-]+):(\d{12}):cert\/([0-9a-f]{64})$/;

/** The parts of a certificate ARN, or undefined when it is not one. */
export function parseCertificateArn(arn: string): { partition: string; region: string; account: string; id: string } | undefined {
  const m = CERT_ARN.exec(arn);
  return m ? { partition: m[1]!, region: m[2]!, account: m[3]!, id: m[4]! } : undefined;
}

/** A certificate id from an id or a certificate ARN; undefined if it is neither. */
export function certificateIdOf(idOrArn: string): string | undefined {
  const value = idOrArn.trim();
  return CERTIFICATE_ID.test(value) ? value : parseCertificateArn(value)?.id;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;

/** An IAM role ARN's account, path and name, or undefined when it is not one. */
export function parseRoleArn(arn: string): { account: string; path: string; name: string } | undefined {
  const m = ROLE_ARN.exec(arn);
  return m ? { account: m[1]!, path: `/${m[2]}`, name: m[3]! } : undefined;
}

/** The region of an AWS IoT data endpoint (`xxxx-ats.iot.eu-west-1.amazonaws.com`). */
export function regionOfIotHost(host: string): string | undefined {
  return /\.iot\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
}
