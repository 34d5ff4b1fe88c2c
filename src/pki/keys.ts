/**
 * Key pairs as node KeyObjects (the format-neutral type), with the exports
 * AWS and device SDKs use: PKCS#8, SEC1 (EC), PKCS#1 (RSA) and SPKI PEM.
 */
import { createPrivateKey, createPublicKey, generateKeyPair as generate, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { pkiError } from './errors.js';

const generateAsync = promisify(generate);

export type Curve = 'P-256' | 'P-384' | 'P-521';
export type KeySpec = { type: 'rsa'; bits: number } | { type: 'ec'; curve: Curve };

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export const DEFAULT_EC: KeySpec = { type: 'ec', curve: 'P-256' };
export const DEFAULT_RSA: KeySpec = { type: 'rsa', bits: 2048 };

/** node's names for the NIST curves. */
const NODE_CURVE: Record<Curve, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const CURVE_BY_NODE_NAME: Record<string, Curve> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Generates a key pair off the main thread (RSA generation takes tens of ms). */
export async function generateKeyPair(spec: KeySpec = DEFAULT_EC): Promise<KeyPair> {
  if (spec.type === 'rsa') return generateAsync('rsa', { modulusLength: spec.bits, publicExponent: 0x10001 });
  return generateAsync('ec', { namedCurve: NODE_CURVE[spec.curve] });
}

/** The key's type and size, or undefined for a key type iotctl cannot sign with (Ed25519, RSA-PSS, other curves). */
export function keySpecOf(key: KeyObject): KeySpec | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && details.modulusLength) return { type: 'rsa', bits: details.modulusLength };
  if (key.asymmetricKeyType === 'ec' && details.namedCurve) {
    const curve = CURVE_BY_NODE_NAME[details.namedCurve];
    return curve ? { type: 'ec', curve } : undefined;
  }
  return undefined;
}

export function describeKey(key: KeyObject): string {
  const spec = keySpecOf(key);
  if (spec) return spec.type === 'rsa' ? `RSA-${spec.bits}` : `EC ${spec.curve}`;
  const details = key.asymmetricKeyDetails ?? {};
  return [key.asymmetricKeyType, details.namedCurve, details.modulusLength].filter(Boolean).join(' ');
}

export type PrivateKeyFormat = 'pkcs8' | 'sec1' | 'pkcs1';

/** PEM of a private key: PKCS#8 (any key), SEC1 (EC only) or PKCS#1 (RSA only). */
export function privateKeyToPem(key: KeyObject, format: PrivateKeyFormat = 'pkcs8'): string {
  if (format === 'sec1' && key.asymmetricKeyType !== 'ec') throw pkiError('KEY_FORMAT_UNSUPPORTED', 'SEC1 is a format for EC keys only.');
  if (format === 'pkcs1' && key.asymmetricKeyType !== 'rsa') throw pkiError('KEY_FORMAT_UNSUPPORTED', 'PKCS#1 is a format for RSA keys only.');
  return key.export({ type: format, format: 'pem' }) as string;
}

/** SPKI PEM (`BEGIN PUBLIC KEY`), what AWS returns as `keyPair.PublicKey`. */
export function publicKeyToPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

export function publicKeyToDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** Reads a private key in any PEM format node understands (PKCS#8, SEC1, PKCS#1). */
export function loadPrivateKey(pem: string): KeyPair {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw pkiError('KEY_INVALID', `Not a readable private key: ${(err as Error).message}`, err);
  }
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export function loadPublicKey(input: string | Buffer): KeyObject {
  try {
    return typeof input === 'string' ? createPublicKey(input) : createPublicKey({ key: input, format: 'der', type: 'spki' });
  } catch (err) {
    throw pkiError('KEY_INVALID', `Not a readable public key: ${(err as Error).message}`, err);
  }
}

/** The WebCrypto signature algorithm for a key: ECDSA with the curve's hash, or RSA PKCS#1 v1.5 with SHA-256. */
export function signatureAlgorithm(spec: KeySpec): webcrypto.RsaHashedImportParams | (webcrypto.EcKeyImportParams & webcrypto.EcdsaParams) {
  if (spec.type === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const hash = spec.curve === 'P-256' ? 'SHA-256' : spec.curve === 'P-384' ? 'SHA-384' : 'SHA-512';
  return { name: 'ECDSA', namedCurve: spec.curve, hash };
}

function requireSpec(key: KeyObject): KeySpec {
  const spec = keySpecOf(key);
  if (!spec) throw pkiError('KEY_UNSUPPORTED', `Unsupported key type ${describeKey(key)}; use RSA or EC P-256/P-384/P-521.`);
  return spec;
}

/** WebCrypto views of a node key pair, for @peculiar/x509 (Node 20 has no KeyObject.toCryptoKey). */
export async function toCryptoKeyPair(pair: KeyPair): Promise<webcrypto.CryptoKeyPair> {
  const algorithm = signatureAlgorithm(requireSpec(pair.privateKey));
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', pair.privateKey.export({ type: 'pkcs8', format: 'der' }), algorithm, true, ['sign']),
    webcrypto.subtle.importKey('spki', publicKeyToDer(pair.publicKey), algorithm, true, ['verify']),
  ]);
  return { privateKey, publicKey } as webcrypto.CryptoKeyPair;
}
