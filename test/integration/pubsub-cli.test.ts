/**
 * pub, sub and tail through the CLI: every refusal of bad input (exit 2,
 * before connecting), and connection failures against local servers that are
 * not MQTT brokers (refused, silent, untrusted TLS). No broker needed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, generateKeyPair, issueCertificate, issueServerCertificate, privateKeyToPem } from '../../src/pki/index.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
let files: { cert: string; key: string; ca: string; otherKey: string; big: string; otherCa: string };
const conn = () => ['--endpoint', '127.0.0.1:1', '--cert', files.cert, '--key', files.key, '--ca', files.ca];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-pubsub-'));
  const write = (name: string, text: string | Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const ca = await createCertificateAuthority({ subject: 'CN=pubsub-test-ca' });
  const other = await createCertificateAuthority({ subject: 'CN=someone-else' });
  const keys = await generateKeyPair({ type: 'ec', curve: 'P-256' });
  const otherKeys = await generateKeyPair({ type: 'ec', curve: 'P-256' });
  const server = await issueServerCertificate(ca, ['localhost', '127.0.0.1']);
  files = {
    cert: write('cert.pem', await issueCertificate(ca, { publicKey: keys.publicKey, subject: 'CN=pi01', profile: 'client' })),
    key: write('key.pem', privateKeyToPem(keys.privateKey, 'pkcs8')),
    ca: write('ca.pem', ca.certificatePem),
    otherCa: write('other-ca.pem', other.certificatePem),
    otherKey: write('other.key', privateKeyToPem(otherKeys.privateKey, 'pkcs8')),
    big: write('big.bin', Buffer.alloc(128 * 1024 + 1, 0x61)),
  };
  write('server.pem', server.certificatePem);
  write('server.key', server.privateKeyPem);
  const elsewhere = await issueServerCertificate(ca, ['elsewhere.example']);
  write('elsewhere.pem', elsewhere.certificatePem);
  write('elsewhere.key', elsewhere.privateKeyPem);
});

/** Exit 2, one error line (plus hint), nothing on stdout. */
async function refusedWith(argv: string[], message: RegExp, stdin?: string): Promise<void> {
  const r = await runCli(argv, { stdin });
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
}

describe('pub refuses bad input before connecting (exit 2)', () => {
  it.each([
    [['dt/#', 'x'], /contains a wildcard/],
    [['dt/+/t', 'x'], /contains a wildcard/],
    [['a/b/c/d/e/f/g/h/i', 'x'], /8 forward slashes; AWS IoT allows at most 7/],
    [['t'.repeat(257), 'x'], /257 bytes; AWS IoT allows at most 256/],
    [['', 'x'], /topic is empty/],
    [['t', 'x', '--qos', '2'], /AWS IoT does not support QoS 2/],
    [['t', 'x', '--qos', 'high'], /--qos must be 0 or 1/],
    [['t'], /No message to publish/],
    [['t', 'x', '--stdin'], /Use one message source, not a message argument and --stdin/],
    [['t', 'x', '--repeat', '0'], /--repeat must be a whole number of at least 1/],
    [['t', '--lines', '--repeat', '2'], /--repeat works with a single message/],
    [['t', 'x', '--interval', 'often'], /--interval must be a duration/],
    [['t', 'x', '--rate', '-5'], /--rate must be a number/],
    [['t', '{"n": {{sequence}}}'], /Unknown template variable \{\{sequence\}\}/],
    [['t', 'x', '--user-property', 'novalue'], /--user-property must look like name=value/],
    [['t', 'x', '--message-expiry', '8d'], /between 1s and 7 days/],
    [['t', 'x', '--response-topic', 'r/#'], /--response-topic: .*wildcard/],
    [['t', 'x', '--client-id', 'c'.repeat(129)], /client id is 129 bytes/],
    [['t', 'x', '--port', 'http'], /--port must be a port number/],
    [['t', 'x', '--mqtt', '4'], /--mqtt must be 5 or 3/],
    [['t', 'x', '--driver', 'paho'], /--driver must be crt \(the AWS IoT Device SDK\) or js \(MQTT\.js\), not "paho"/],
    [[], /No topic to publish to\.\nhint: pass it as the first argument, or with --lines --line-format json\|tsv/],
    [['t', 'x', '--line-format', 'json'], /--line-format goes with --lines/],
    [['t', '--lines', '--line-format', 'xml'], /--line-format must be one of plain, json, tsv, not "xml"/],
    [['t', '--spool', 'spool'], /--spool goes with --lines/],
    [['t', '--lines', '--spool', 'spool', '--qos', '0'], /--spool needs --qos 1: a line leaves the spool only when the broker acknowledges it/],
    [['t', '--lines', '--spool', 'spool', '--spool-max', '10KB'], /--spool-max must be a size of at least 1MB/],
    [['t', '--lines', '--spool-max', '5MB'], /--spool-max goes with --spool/],
    [['t', '--lines', '--spool', 'spool', '--interval', '1s'], /--interval does not go with --spool; to slow publishing down, use --rate/],
    [['t', '--lines', '--spool', 'spool', '--heartbeat', '1m'], /--heartbeat and --heartbeat-topic go together/],
    [['t', '--lines', '--spool', 'spool', '--heartbeat', '1m', '--heartbeat-topic', 'st/#'], /--heartbeat-topic: .*wildcard/],
    [['t', 'x', '--auth', 'password'], /--auth must be mtls, sigv4 or cognito/],
    [['t', 'x', '--connect-timeout', 'soon'], /--connect-timeout must be a duration/],
    [['t', 'x', '--endpoint', 'http://broker'], /--endpoint must be a host name/],
  ])('pub %j', async (argv, message) => refusedWith(['pub', ...argv, ...(argv.includes('--endpoint') ? [] : conn())], message));

  it('payloads over 128 KB, from the argument, a file or stdin', async () => {
    await refusedWith(['pub', 't', 'x'.repeat(128 * 1024 + 1), ...conn()], /131073 bytes; AWS IoT accepts messages of at most 131072 bytes/);
    await refusedWith(['pub', 't', '--file', files.big, ...conn()], /The file .*big\.bin is 131073 bytes/);
    await refusedWith(['pub', 't', '--stdin', ...conn()], /Standard input \(at least\) is \d+ bytes/, 'y'.repeat(200_000));
  });

  it('files that are missing, not a certificate, or a key of another certificate', async () => {
    await refusedWith(['pub', 't', 'x', '--endpoint', '127.0.0.1:1', '--cert', path.join(dir, 'nope.pem'), '--key', files.key], /certificate file .*nope\.pem does not exist/);
    await refusedWith(['pub', 't', 'x', '--endpoint', '127.0.0.1:1', '--cert', files.key, '--key', files.key], /is not a PEM certificate/);
    await refusedWith(['pub', 't', 'x', '--endpoint', '127.0.0.1:1', '--cert', files.cert, '--key', files.otherKey], /The private key .*other\.key does not match the certificate .*cert\.pem/);
    await refusedWith(['pub', 't', 'x', '--endpoint', '127.0.0.1:1', '--cert', files.cert], /needs both --cert and --key/);
    await refusedWith(['pub', 't', '--file', path.join(dir, 'missing.json'), ...conn()], /message file .*missing\.json does not exist/);
    await refusedWith(['pub', 't', 'x', '--device', path.join(dir, 'no-device')], /device manifest .*device\.json does not exist/);
  });

  it('MQTT 5 properties on MQTT 3.1.1', async () => {
    await refusedWith(['pub', 't', 'x', '--user-property', 'a=b', '--mqtt', '3', ...conn()], /need MQTT 5/);
    await refusedWith(['pub', 't', 'x', '--content-type', 'text/plain', '--mqtt', '3', ...conn()], /need MQTT 5\.\nhint: leave out --mqtt 3 \(MQTT 5 is the default\), or use --http/);
  });

  it('--json errors are one JSON line on stderr with the stable code', async () => {
    const r = await runCli(['--json', 'pub', 'a/#', 'x', ...conn()]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'TOPIC_WILDCARD', exitCode: 2 } });
  });
});

describe('sub and tail refuse bad input before connecting (exit 2)', () => {
  it.each([
    [['a/#/b'], /# must be the last level/],
    [['a/b#'], /# must be the last level/],
    [['a/b+/c'], /\+ must be alone in its level/],
    [['$share/g'], /must look like \$share\/<name>\/<filter>/],
    [['a/b/c/d/e/f/g/h/#'], /8 forward slashes/],
    [['a', '--qos', '2'], /does not support QoS 2/],
    [['a', '--count', '-1'], /--count must be a whole number/],
    [['a', '--timeout', 'later'], /--timeout must be a duration/],
    [['a', '--format', 'yaml'], /--format must be one of pretty, json, ndjson, raw, template/],
    [['a', '--format', 'template'], /--format template needs --template/],
    [['a', '--template', '{{nope}}'], /Unknown output template variable \{\{nope\}\}/],
    [['a', '--format', 'raw', '--template', '{{topic}}'], /--template needs --format template/],
    [['a', '--output', path.join(os.tmpdir(), 'no-such-dir-iotctl', 'x.ndjson')], /output file .* does not exist/],
  ])('sub %j', async (argv, message) => refusedWith(['sub', ...argv, ...conn()], message));

  it('more than 50 filters (AWS IoT subscriptions per connection)', async () => {
    const filters = Array.from({ length: 51 }, (_, i) => `t/${i}`);
    await refusedWith(['sub', ...filters, ...conn()], /51 topic filters given; AWS IoT allows 50/);
  });

  it('tail checks the same', async () => {
    await refusedWith(['tail', 'a/#/b', ...conn()], /# must be the last level/);
    await refusedWith(['tail', 'a', '--qos', '2', ...conn()], /QoS 2/);
  });
});

describe('finding the endpoint', () => {
  it('without an endpoint, a region or credentials, says how to name one', async () => {
    const r = await runCli(['pub', 't', 'x', '--cert', files.cert, '--key', files.key]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot find the MQTT data endpoint with DescribeEndpoint: No AWS region is configured/);
    expect(r.stderr).toMatch(/hint: pass --endpoint <host> or --device <folder>/);
  });
});

describe('connection failures (exit 5), against servers that are not brokers', () => {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const listen = async (server: net.Server): Promise<number> => {
    servers.push(server);
    server.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.on('secureConnection', (s: net.Socket) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  };
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('a closed port: connection refused, at once', async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    const started = Date.now();
    const r = await runCli(['pub', 't', 'x', '--endpoint', `127.0.0.1:${port}`, '--cert', files.cert, '--key', files.key, '--ca', files.ca]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/error: Connection refused by 127\.0\.0\.1:\d+\./);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a server that never answers: gives up after --connect-timeout', async () => {
    const port = await listen(net.createServer(() => {}));
    const started = Date.now();
    const r = await runCli(['sub', 't', '--endpoint', `127.0.0.1:${port}`, '--cert', files.cert, '--key', files.key, '--ca', files.ca, '--connect-timeout', '1500ms']);
    const took = Date.now() - started;
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/Could not connect to 127\.0\.0\.1:\d+ within 1\.5s/);
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(4000);
  });

  it('a server certificate from an unknown CA: named within seconds, not after the SDK\'s 10-30 s', async () => {
    const server = tls.createServer({ cert: readFile('server.pem'), key: readFile('server.key') });
    const port = await listen(server);
    const started = Date.now();
    const r = await runCli(['pub', 't', 'x', '--endpoint', `127.0.0.1:${port}`, '--cert', files.cert, '--key', files.key, '--ca', files.otherCa]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/TLS failed with 127\.0\.0\.1:\d+: unknown CA, the server's certificate does not chain to the CA file .*other-ca\.pem/);
    expect(r.stderr).toMatch(/hint: pass the root CA/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a server certificate for another host name: hostname mismatch', async () => {
    const server = tls.createServer({ cert: readFile('elsewhere.pem'), key: readFile('elsewhere.key') });
    const port = await listen(server);
    const r = await runCli(['pub', 't', 'x', '--endpoint', `127.0.0.1:${port}`, '--cert', files.cert, '--key', files.key, '--ca', files.ca]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/hostname mismatch, the server's certificate is not valid for "127\.0\.0\.1" \(the certificate names DNS:elsewhere\.example\)/);
  });
});

function readFile(name: string): string {
  return readFileSync(path.join(dir, name), 'utf8');
}
