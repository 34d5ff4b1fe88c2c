import { readFileSync } from 'node:fs';

/**
 * The root CAs that AWS IoT's ATS endpoints (iot:Data-ATS) chain to, shipped
 * with the package so provisioning needs no network: Amazon Root CA 1 (RSA
 * 2048) and Amazon Root CA 3 (EC P-256).
 */
export type AmazonRoot = 'AmazonRootCA1' | 'AmazonRootCA3';

export function amazonRootCa(name: AmazonRoot): string {
  return readFileSync(new URL(`../../data/${name}.pem`, import.meta.url), 'utf8');
}
