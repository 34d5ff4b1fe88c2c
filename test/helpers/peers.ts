/**
 * For the MQTT interop tests: where the Debian peers are (mosquitto-clients,
 * /usr/bin/python3 with paho; peer.ts runs them), device folders made by
 * `iotctl provision`, and an "app" on the local IoT Core's root key.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { runCli } from './cli.js';
import type { LocalIot } from './local-iot.js';

import { peer } from './peer.js';

export { peer, type Run } from './peer.js';

/** The Debian AWS CLI v2 (the `aws` first on PATH may be a pip v1). */
export const AWS_CLI = '/usr/bin/aws';
export const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
export const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';
/** Debian's python3, which has python3-paho-mqtt (the pyenv python3 on PATH does not). */
export const PYTHON = '/usr/bin/python3';
export const STDBUF = '/usr/bin/stdbuf';
/** Whether the Debian peers are installed (CI installs them). */
export const peersInstalled = () => [MOSQUITTO_PUB, MOSQUITTO_SUB, PYTHON, STDBUF].every((f) => existsSync(f));

export interface Folder {
  thingName: string;
  dir: string;
  port: number;
  certificateId: string;
  certificateArn: string;
}

/** `iotctl provision <thing>` into `<work>/<thing>`, and what its device.json says. */
export async function provisionFolder(local: LocalIot, work: string, thingName: string): Promise<Folder> {
  const dir = path.join(work, thingName);
  const r = await runCli(['provision', thingName, '--yes', '--json', '--out-dir', dir], { env: local.env });
  if (r.code !== 0) throw new Error(`provision ${thingName} failed: ${r.stderr}`);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'device.json'), 'utf8'));
  return { thingName, dir, port: manifest.port, certificateId: manifest.certificateId, certificateArn: manifest.certificateArn };
}

/** `aws <args>` against the local IoT Core's HTTPS data plane, with its root key and the local CA (AWS_CA_BUNDLE); nothing of the machine's AWS setup. */
export function awsDataPlane(local: LocalIot, args: string[], home: string): Promise<import('./peer.js').Run> {
  const { credentials, endpoints } = local.emulator;
  return peer(AWS_CLI, ['--endpoint-url', endpoints.https.url, '--region', endpoints.region, '--output', 'json', ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      // Set machine-wide on some hosts: the local CA replaces it here.
      AWS_CA_BUNDLE: endpoints.caFile,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
}

/** An "app" over SigV4 WebSockets with the root key (allowed everything), to watch and to send. */
export async function rootApp(local: LocalIot, options: IClientOptions = {}): Promise<MqttClient> {
  const { port } = local.emulator.endpoints.ws;
  const signer = new SignatureV4({ service: 'iotdevicegateway', region: 'us-east-1', credentials: local.emulator.credentials, sha256: Sha256 });
  const signed = await signer.presign({ method: 'GET', protocol: 'wss:', hostname: '127.0.0.1', port, path: '/mqtt', query: {}, headers: { host: `127.0.0.1:${port}` } }, { expiresIn: 300 });
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  return mqtt.connectAsync(`wss://127.0.0.1:${port}/mqtt?${query}`, { ca: readFileSync(local.emulator.endpoints.caFile), reconnectPeriod: 0, clientId: 'interop-app', ...options });
}
