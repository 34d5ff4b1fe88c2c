// Debian's mosquitto as a reference MQTT 3.1.1 + 5 broker with mutual TLS,
// for test/interop and bench/pubsub.sh. Plain JavaScript so both can use it.
// Certificates are made with openssl: a CA, a server certificate for
// localhost/127.0.0.1, client certificates with an EC P-256 and an RSA key,
// and a second CA nobody trusts.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export function hasMosquitto() {
  return existsSync(MOSQUITTO);
}

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes the certificates in `dir`; returns their paths. */
export function makeCertificates(dir) {
  const p = (name) => path.join(dir, name);
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=iotctl-test-ca']);
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '30', '-subj', '/CN=nobody-trusts-me']);
  writeFileSync(p('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '30', '-extfile', 'server.ext']);
  const client = (name, keyArgs) => {
    openssl(dir, keyArgs(`${name}.key`));
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '30', '-extfile', 'client.ext']);
  };
  client('thing-ec', (out) => ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', out]);
  client('thing-rsa', (out) => ['genrsa', '-out', out, '2048']);
  return {
    ca: p('ca.pem'),
    otherCa: p('other-ca.pem'),
    server: p('server.pem'),
    serverKey: p('server.key'),
    ec: { cert: p('thing-ec.pem'), key: p('thing-ec.key') },
    rsa: { cert: p('thing-rsa.pem'), key: p('thing-rsa.key') },
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * Listeners (all on 127.0.0.1): `mtls` (client certificate required, its CN
 * is the user name), `wss` (WebSockets over TLS, anonymous), `acl` (like mtls,
 * with an ACL: read/write only allowed/<CN>/#), `refuse` (certificate
 * required but anonymous refused: every CONNECT gets "not authorized").
 */
export async function startMosquitto(dir, certs, options = {}) {
  const ports = { mtls: await freePort(), wss: await freePort(), acl: await freePort(), refuse: await freePort() };
  const tlsFiles = [`cafile ${certs.ca}`, `certfile ${certs.server}`, `keyfile ${certs.serverKey}`];
  writeFileSync(path.join(dir, 'acl.txt'), 'pattern readwrite allowed/%u/#\n');
  const config = [
    'per_listener_settings true',
    // mosquitto drops root for the user "mosquitto", who cannot read our temporary files.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'persistence false',
    // "<client id> <qos> <filter>" for every SUBSCRIBE: how the bench knows a subscriber is ready.
    ...(options.logSubscriptions ? ['log_type error', 'log_type warning', 'log_type notice', 'log_type information', 'log_type subscribe'] : []),
    'max_queued_messages 0',
    `max_inflight_messages ${options.maxInflight ?? 0}`,
    `listener ${ports.mtls} 127.0.0.1`,
    ...tlsFiles,
    'require_certificate true',
    'use_identity_as_username true',
    'allow_anonymous true',
    `listener ${ports.wss} 127.0.0.1`,
    'protocol websockets',
    ...tlsFiles,
    'allow_anonymous true',
    `listener ${ports.acl} 127.0.0.1`,
    ...tlsFiles,
    'require_certificate true',
    'use_identity_as_username true',
    'allow_anonymous true',
    `acl_file ${path.join(dir, 'acl.txt')}`,
    `listener ${ports.refuse} 127.0.0.1`,
    ...tlsFiles,
    'require_certificate true',
    'allow_anonymous false',
  ].join('\n');
  const configFile = path.join(dir, 'mosquitto.conf');
  writeFileSync(configFile, config + '\n');

  let child;
  let log = '';
  const start = async () => {
    child = spawn(MOSQUITTO, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(ports.mtls))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    ports,
    get pid() {
      return child.pid;
    },
    get log() {
      return log;
    },
    stop,
    async restart(delayMs = 0) {
      await stop();
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      await start();
    },
  };
}
