/** Access keys in AWS's shapes: AKIA… for the root key, ASIA… for temporary credentials. */
import { randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += BASE32[b & 31];
  return out;
}

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export function newAccessKey(prefix: 'AKIA' | 'ASIA'): AccessKey {
  return { accessKeyId: prefix + base32(16), secretAccessKey: randomBytes(30).toString('base64') };
}

export function newSessionToken(): string {
  return randomBytes(160).toString('base64');
}
