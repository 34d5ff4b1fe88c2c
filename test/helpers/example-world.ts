/**
 * What docs/*.md and `--help` examples assume (README.md, "Writing docs"): the README's quick start
 * has run. A local IoT Core is running (in this test process, on free ports, in memory, so the
 * default data directory stays free for `iotctl local start` examples), its `local` profile is the
 * current one, and ./pi01 is provisioned. Placeholders such as `<certificate id>` are filled from it.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { updateConfig } from '../../src/config/store.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli } from './cli.js';

/** A fresh sandbox: its own HOME, config dir and data dir; nothing of the machine's AWS setup. */
export function sandboxEnv(root: string): NodeJS.ProcessEnv {
  for (const dir of ['home', 'config', 'data']) mkdirSync(path.join(root, dir), { recursive: true });
  return {
    PATH: process.env.PATH,
    HOME: path.join(root, 'home'),
    LANG: 'C.UTF-8',
    IOTCTL_CONFIG_DIR: path.join(root, 'config'),
    IOTCTL_DATA_DIR: path.join(root, 'data'),
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export function newSandbox(label: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `iotctl-docs-${label.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}-`));
}

/** A TCP port that refuses connections (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Settings for `needs AWS` examples: made-up credentials and an endpoint nobody answers. */
export async function unreachableAws(): Promise<NodeJS.ProcessEnv> {
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  return {
    IOTCTL_ENDPOINT_URL: endpoint,
    IOTCTL_DATA_ENDPOINT: '127.0.0.1',
    IOTCTL_MQTT_PORT: String(await closedPort()),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_MAX_ATTEMPTS: '1',
  };
}

export interface World {
  emulator: Emulator;
  /** Placeholder → value, e.g. '<certificate id>' → the id of ./pi01's certificate. */
  placeholders: Record<string, string>;
  close(): Promise<void>;
}

async function cli(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await runCli(argv, { env });
  if (r.code !== 0) throw new Error(`world setup: iotctl ${argv.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The README's quick start, done in-process: local IoT Core, `local` profile current, ./pi01 provisioned; a Cognito pool and alice's identity if asked. */
export async function startWorld(env: NodeJS.ProcessEnv, cwd: string, options: { cognito?: boolean } = {}): Promise<World> {
  const emulator = await createEmulator({ ephemeral: true, ports: { http: 0, mqtt: 0, ws: 0, https: 0 } });
  try {
    const { endpoints, credentials } = emulator;
    // The profile `iotctl local start` writes (src/commands/local/start.ts), made current.
    await updateConfig(env, (c) => {
      c.profiles.local = {
        region: endpoints.region,
        'endpoint-url': endpoints.controlPlane,
        'access-key-id': credentials.accessKeyId,
        'secret-access-key': credentials.secretAccessKey,
        'ca-file': endpoints.caFile,
        'data-endpoint': endpoints.dataHost,
        'mqtt-port': String(endpoints.mqtt.port),
        'ws-port': String(endpoints.ws.port),
        'https-port': String(endpoints.https.port),
      };
      c.currentProfile = 'local';
    });
    const device = JSON.parse(await cli(['--json', 'provision', 'pi01', '--yes', '--out-dir', path.join(cwd, 'pi01')], env)) as Record<string, unknown>;
    const certificateId = String(device.certificateId ?? (device as { certificate?: { id?: string } }).certificate?.id);
    const certificateArn = String(device.certificateArn ?? `arn:aws:iot:${endpoints.region}:${endpoints.accountId}:cert/${certificateId}`);
    const placeholders: Record<string, string> = {
      '<id>': certificateId,
      '<certificate id>': certificateId,
      '<cert ARN>': certificateArn,
      '<command>': 'pub',
    };
    if (options.cognito) {
      const pool = JSON.parse(await cli(['--json', 'cognito', 'pool', 'create', 'demo', '--allow-unauthenticated'], env)) as { identityPoolId: string };
      const alice = JSON.parse(await cli(['--json', 'cognito', 'credentials', '--identity-pool-id', pool.identityPoolId, '--login', 'local=alice'], env)) as { identityId: string };
      placeholders['<pool id>'] = pool.identityPoolId;
      placeholders['<identity id>'] = alice.identityId;
      placeholders['<identity uuid>'] = alice.identityId.split(':')[1]!;
    }
    return { emulator, placeholders, close: () => emulator.close() };
  } catch (err) {
    await emulator.close();
    throw err;
  }
}
