import { readFileSync } from 'node:fs';
import type { ResolvedSettings } from '../config/settings.js';
import { usageError } from '../core/errors.js';
import { fileError } from '../io/files.js';

/**
 * The root CAs that AWS IoT's ATS endpoints (iot:Data-ATS) chain to, shipped
 * with the package so provisioning needs no network: Amazon Root CA 1 (RSA
 * 2048) and Amazon Root CA 3 (EC P-256).
 */
export type AmazonRoot = 'AmazonRootCA1' | 'AmazonRootCA3';
export type RootChoice = 'rsa' | 'ec' | 'all';

/** --root-ca: rsa (Amazon Root CA 1), ec (Root CA 3) or all (both). */
export function parseRootChoice(text: string): RootChoice {
  if (text === 'rsa' || text === 'ec' || text === 'all') return text;
  throw usageError('INVALID_ROOT_CA', `--root-ca must be rsa, ec or all, not "${text}".`);
}

export function amazonRootCa(name: AmazonRoot): string {
  return readFileSync(new URL(`../../data/${name}.pem`, import.meta.url), 'utf8');
}

/** The CA a client of the profile's data endpoint must trust: the profile's ca-file (the local IoT Core's CA), or Amazon's roots. */
export function rootCaFor(settings: ResolvedSettings, choice: RootChoice = 'rsa'): { pem: string; source: string } {
  const localCa = settings.get('ca-file');
  if (localCa) {
    try {
      return { pem: readFileSync(localCa, 'utf8'), source: localCa };
    } catch (err) {
      throw fileError(err, localCa, 'local CA file');
    }
  }
  if (choice === 'ec') return { pem: amazonRootCa('AmazonRootCA3'), source: 'Amazon Root CA 3' };
  if (choice === 'all') return { pem: amazonRootCa('AmazonRootCA1') + amazonRootCa('AmazonRootCA3'), source: 'Amazon Root CA 1 + 3' };
  return { pem: amazonRootCa('AmazonRootCA1'), source: 'Amazon Root CA 1' };
}
