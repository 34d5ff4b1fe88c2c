import path from 'node:path';
import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { usageError } from '../../core/errors.js';
import { configFile } from '../../config/paths.js';
import { updateConfig } from '../../config/store.js';
import { LOCAL_PROFILE, defaultLocalDataDir, parsePort } from './common.js';

interface Options {
  dataDir?: string;
  host: string;
  port: string;
  mqttPort: string;
  wsPort: string;
  ephemeral?: boolean;
  accountId?: string;
}

export function configure(cmd: Command): void {
  cmd
    .option('--data-dir <dir>', 'where state, keys and the CA live (default: <data dir>/local, e.g. ~/.local/share/iotctl/local)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'control-plane HTTP port (IoT and Cognito Identity); 0 picks a free one', '4580')
    .option('--mqtt-port <n>', 'MQTT over TLS port (reserved for the data plane)', '4581')
    .option('--ws-port <n>', 'MQTT over WebSocket port (reserved for the data plane)', '4582')
    .option('--ephemeral', 'keep everything in memory; nothing survives a stop')
    .option('--account-id <id>', 'the 12-digit account ID in ARNs', '123456789012')
    .addHelpText('after', '\nThe region comes from --region, else the local profile, else us-east-1.\nRuns in the foreground; Ctrl-C or SIGTERM stops it. Writes the "local" profile, so `iotctl --profile local ...` talks to it.');
  examples(cmd, [
    'iotctl local start',
    'iotctl local start --ephemeral --port 0 --json',
    'iotctl local start --data-dir ./iot-state --region eu-west-1',
    'iotctl --profile local thing list',
  ]);
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  if (options.ephemeral && options.dataDir) throw usageError('CONFLICTING_OPTIONS', '--ephemeral and --data-dir exclude each other.');
  const ports = { http: parsePort(options.port, '--port'), mqtt: parsePort(options.mqttPort, '--mqtt-port'), ws: parsePort(options.wsPort, '--ws-port') };
  const config = await ctx.config();
  const region = ctx.globals.region ?? config.profiles[LOCAL_PROFILE]?.region ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw usageError('INVALID_REGION', `"${region}" does not look like an AWS region (e.g. us-east-1).`);
  if (options.accountId && !/^\d{12}$/.test(options.accountId)) throw usageError('INVALID_ACCOUNT_ID', `--account-id must be 12 digits, not "${options.accountId}".`);
  const dataDir = options.ephemeral ? undefined : (options.dataDir ? path.resolve(options.dataDir) : defaultLocalDataDir(ctx.env));

  const { createEmulator } = await import('../../emulator/index.js');
  const emulator = await ctx.out.step('starting the local IoT Core', () =>
    createEmulator({
      dataDir,
      ephemeral: options.ephemeral === true,
      host: options.host,
      ports,
      region,
      accountId: options.accountId,
      log: {
        request: ctx.out.verbose ? (line) => ctx.out.log(line) : undefined,
        error: (message, err) => ctx.out.warn(`${message}: ${(err as Error)?.stack ?? String(err)}`),
      },
    }),
  );
  try {
    const { endpoints, credentials } = emulator;
    await updateConfig(ctx.env, (c) => {
      const profile = { ...c.profiles[LOCAL_PROFILE] };
      profile.region = endpoints.region;
      profile['endpoint-url'] = endpoints.controlPlane;
      profile['access-key-id'] = credentials.accessKeyId;
      profile['secret-access-key'] = credentials.secretAccessKey;
      profile['ca-file'] = endpoints.caFile;
      if (dataDir) profile['local-data-dir'] = dataDir;
      else delete profile['local-data-dir'];
      c.profiles[LOCAL_PROFILE] = profile;
    });
    const ready = {
      region: endpoints.region,
      accountId: endpoints.accountId,
      controlPlane: endpoints.controlPlane,
      dataEndpoint: endpoints.dataHost,
      caFile: endpoints.caFile,
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      dataDir: dataDir ?? null,
      profile: LOCAL_PROFILE,
      pid: process.pid,
    };
    // One line even without --json piping: a supervisor reads it as soon as it appears.
    ctx.out.record(ready, (r, c) =>
      [
        c.green('Local AWS IoT Core is running.'),
        `  control plane   ${c.bold(r.controlPlane)}  (IoT and Cognito Identity; region ${r.region}, account ${r.accountId})`,
        `  CA certificate  ${r.caFile}`,
        `  access key      ${r.accessKeyId}`,
        `  secret key      ${r.secretAccessKey}`,
        `  data            ${r.dataDir ?? 'in memory (--ephemeral): gone when stopped'}`,
        `  profile         ${r.profile}  (${configFile(ctx.env)})`,
        '',
        'Use it:',
        `  iotctl --profile local thing list`,
        `  AWS_ACCESS_KEY_ID=${r.accessKeyId} AWS_SECRET_ACCESS_KEY=${shellQuote(r.secretAccessKey)} \\`,
        `    aws --endpoint-url ${r.controlPlane} --region ${r.region} iot list-things`,
        `  SDK v3: new IoTClient({ endpoint: '${r.controlPlane}', region: '${r.region}', credentials: { accessKeyId, secretAccessKey } })`,
      ].join('\n'),
    );
    ctx.out.info(ctx.out.ce.dim('Press Ctrl-C to stop.'));
    await waitForAbort(ctx.signal);
    ctx.out.info('stopping...');
  } finally {
    await emulator.close();
  }
  ctx.out.info('stopped; state saved.');
  return 0;
}
