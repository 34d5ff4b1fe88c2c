import { usageError } from '../core/errors.js';
import type { KeySpec, PrivateKeyFormat } from '../pki/keys.js';

/** Key options shared by `keygen`, `csr create --new-key` and `provision`. */
export interface KeyTypeOptions {
  keyType?: string;
  bits?: string;
  curve?: string;
  format?: string;
}

export function keySpecFrom(options: KeyTypeOptions): KeySpec {
  const type = (options.keyType ?? 'ec').toLowerCase();
  if (type === 'rsa') {
    if (options.curve) throw usageError('INVALID_KEY_OPTIONS', '--curve applies to EC keys; drop it or use --key-type ec.');
    const bits = Number(options.bits ?? 2048);
    if (![2048, 3072, 4096].includes(bits)) throw usageError('INVALID_KEY_SIZE', `--bits must be 2048, 3072 or 4096, not "${options.bits}".`, 'AWS IoT accepts RSA keys of at least 2048 bits');
    return { type: 'rsa', bits };
  }
  if (type === 'ec') {
    if (options.bits) throw usageError('INVALID_KEY_OPTIONS', '--bits applies to RSA keys; use --curve for EC.');
    const curve = (options.curve ?? 'P-256').toUpperCase();
    if (curve !== 'P-256' && curve !== 'P-384') throw usageError('INVALID_CURVE', `--curve must be P-256 or P-384, not "${options.curve}".`);
    return { type: 'ec', curve };
  }
  throw usageError('INVALID_KEY_TYPE', `--key-type must be ec or rsa, not "${options.keyType}".`);
}

export function keyFormatFrom(options: KeyTypeOptions, spec: KeySpec): PrivateKeyFormat {
  const format = (options.format ?? 'pkcs8').toLowerCase();
  if (format === 'pkcs8') return format;
  if (format === 'sec1' && spec.type === 'ec') return format;
  if (format === 'pkcs1' && spec.type === 'rsa') return format;
  if (format === 'sec1' || format === 'pkcs1') {
    throw usageError('INVALID_KEY_FORMAT', `--format ${format} is for ${format === 'sec1' ? 'EC' : 'RSA'} keys only.`, 'use pkcs8, which fits every key');
  }
  throw usageError('INVALID_KEY_FORMAT', `--format must be pkcs8, sec1 or pkcs1, not "${options.format}".`);
}

/** Makes a key pair and writes the private key 0600, atomically, refusing to overwrite unless allowed. */
export async function createKeyFile(file: string, spec: KeySpec, format: PrivateKeyFormat, overwrite: boolean) {
  const { generateKeyPair, privateKeyToPem } = await import('../pki/keys.js');
  const { writeFileAtomic } = await import('../io/files.js');
  const keyPair = await generateKeyPair(spec);
  await writeFileAtomic(file, privateKeyToPem(keyPair.privateKey, format), { mode: 0o600, overwrite, overwriteFlag: '--force' });
  return keyPair;
}

export function describeSpec(spec: KeySpec): string {
  return spec.type === 'rsa' ? `RSA-${spec.bits}` : `EC ${spec.curve}`;
}
