import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = () => mkdtempSync(path.join(os.tmpdir(), 'iotctl-keys-'));

describe('iotctl keygen', () => {
  it.each([
    [[], 'ec', 'BEGIN PRIVATE KEY', 'prime256v1'],
    [['--format', 'sec1'], 'ec', 'BEGIN EC PRIVATE KEY', 'prime256v1'],
    [['--curve', 'P-384'], 'ec', 'BEGIN PRIVATE KEY', 'secp384r1'],
    [['--type', 'rsa'], 'rsa', 'BEGIN PRIVATE KEY', 2048],
    [['--type', 'rsa', '--bits', '3072', '--format', 'pkcs1'], 'rsa', 'BEGIN RSA PRIVATE KEY', 3072],
  ])('%j writes a %s key (%s) with mode 0600 and never prints it', async (flags, type, header, size) => {
    const file = path.join(dir(), 'device.key');
    const r = await runCli(['keygen', '--out', file, ...flags]);
    expect(r.code).toBe(0);
    const pem = readFileSync(file, 'utf8');
    expect(pem).toContain(header);
    expect(r.stdout + r.stderr).not.toContain('PRIVATE KEY-----');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe(type);
    const details = key.asymmetricKeyDetails!;
    expect(type === 'rsa' ? details.modulusLength : details.namedCurve).toBe(size);
  });

  it('refuses to overwrite without --force, and leaves the old key intact', async () => {
    const file = path.join(dir(), 'device.key');
    writeFileSync(file, 'old');
    const r = await runCli(['keygen', '--out', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists.*\nhint: pass --force/);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect((await runCli(['keygen', '--out', file, '--force'])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('PRIVATE KEY');
    expect(readdirSync(path.dirname(file))).toEqual(['device.key']); // no temp files left
  });

  it.each([
    [['--type', 'dsa'], /--key-type must be ec or rsa/],
    [['--type', 'rsa', '--bits', '1024'], /--bits must be 2048, 3072 or 4096/],
    [['--format', 'pkcs1'], /pkcs1 is for RSA keys only/],
    [['--curve', 'P-521x'], /--curve must be P-256 or P-384/],
  ])('%j is a usage error', async (flags, message) => {
    const file = path.join(dir(), 'k.key');
    const r = await runCli(['keygen', '--out', file, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(file)).toBe(false);
  });

  it('--json reports the files and the public key matches the private key', async () => {
    const d = dir();
    const r = await runCli(['--json', 'keygen', '--out', path.join(d, 'k.key'), '--public-out', path.join(d, 'k.pub')]);
    expect(JSON.parse(r.stdout)).toMatchObject({ keyType: 'EC P-256', format: 'pkcs8' });
    const fromPrivate = createPublicKey(readFileSync(path.join(d, 'k.key'))).export({ type: 'spki', format: 'pem' });
    expect(readFileSync(path.join(d, 'k.pub'), 'utf8')).toBe(fromPrivate);
  });
});

describe('iotctl csr create', () => {
  it('makes a key and a CSR that openssl verifies, with the subject asked for', async () => {
    const d = dir();
    const r = await runCli(['csr', 'create', '--cn', 'pi01', '--new-key', path.join(d, 'pi01.key'), '--subject', 'O=Acme\\, Inc,C=US', '--out', path.join(d, 'pi01.csr')]);
    expect(r.code).toBe(0);
    const out = execFileSync('openssl', ['req', '-in', path.join(d, 'pi01.csr'), '-noout', '-verify', '-subject', '-nameopt', 'RFC2253'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toContain('subject=C=US,O=Acme\\, Inc,CN=pi01');
    expect(statSync(path.join(d, 'pi01.key')).mode & 0o777).toBe(0o600);
  });

  it('signs with an existing key (RSA, PKCS#1 from elsewhere) and prints the CSR when no --out', async () => {
    const d = dir();
    const keyFile = path.join(d, 'rsa.key');
    execFileSync('openssl', ['genrsa', '-traditional', '-out', keyFile, '2048'], { stdio: 'ignore' });
    const r = await runCli(['csr', 'create', '--cn', 'pi02', '--key', keyFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    writeFileSync(path.join(d, 'x.csr'), r.stdout);
    const modulusCsr = execFileSync('openssl', ['req', '-in', path.join(d, 'x.csr'), '-noout', '-modulus'], { encoding: 'utf8' });
    const modulusKey = execFileSync('openssl', ['rsa', '-in', keyFile, '-noout', '-modulus'], { encoding: 'utf8' });
    expect(modulusCsr).toBe(modulusKey);
  });

  it.each([
    [['--cn', 'pi01'], /exactly one of --key .* or --new-key/],
    [['--cn', 'pi01', '--key', '/nonexistent/key.pem'], /does not exist/],
    [['--cn', 'pi01', '--new-key', 'X', '--subject', 'Foo=bar'], /not a known subject field/],
    [['--cn', 'pi01', '--new-key', 'X', '--subject', 'C=USA'], /two-letter code/],
  ])('%j is a usage error that creates nothing', async (flags, message) => {
    const d = dir();
    const r = await runCli(['csr', 'create', ...flags.map((f) => (f === 'X' ? path.join(d, 'new.key') : f))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(readdirSync(d)).toEqual([]);
  });

  it('refuses a file that is not a private key with one clear line', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'junk.key'), 'hello');
    const r = await runCli(['csr', 'create', '--cn', 'pi01', '--key', path.join(d, 'junk.key')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: Not a readable private key/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});
