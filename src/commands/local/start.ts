import path from 'node:path';
import { defineCommand } from '../define.js';
import type { Context } from '../context.js';
import { shellQuote } from '../../core/shell.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { isAccountId, isRegion } from '../../core/aws-ids.js';
import { configFile } from '../../config/paths.js';
import { updateConfig } from '../../config/store.js';
import type { Emulator, EmulatorOptions } from '../../emulator/index.js';
import { LOCAL_PROFILE, defaultLocalDataDir, parsePort } from './common.js';

const SUBSCRIBE_DENIED = ['suback', 'close'] as const;

export default defineCommand({
  declare: (cmd) =>
    cmd
      .option('--data-dir <dir>', 'where state, keys and the CA live (default: <data dir>/local, e.g. ~/.local/share/iotctl/local)')
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option('--port <n>', 'control-plane HTTP port (IoT and Cognito Identity); 0 picks a free one', '4580')
      .option('--mqtt-port <n>', 'MQTT over mutual TLS port (device certificates); 0 picks a free one', '4581')
      .option('--ws-port <n>', 'MQTT over WebSocket port (TLS, SigV4-presigned, path /mqtt); 0 picks a free one', '4582')
      .option('--https-port <n>', 'HTTPS data-plane port (publish, retained messages, shadows; a client certificate or SigV4); 0 picks a free one', '4583')
      .option('--ephemeral', 'keep everything in memory; nothing survives a stop')
      .option('--web', 'also serve the web app (templates/web) on http://127.0.0.1:<web port>/, with its identity pool, user policy and lamp')
      .option('--web-port <n>', "the web app's port (plain HTTP, this machine only); 0 picks a free one", '4584')
      .option('--web-dir <dir>', 'serve your own copy of the web app from this folder (implies --web)')
      .option('--account-id <id>', 'the 12-digit account ID in ARNs', '123456789012')
      .option('--subscribe-denied <mode>', 'a denied SUBSCRIBE gets "suback" (SUBACK 0x80 for the filter) or "close" (the connection is closed)', 'suback'),
  examples: [
    'iotctl local start   # keeps running: use another terminal for what follows',
    'iotctl --profile local thing list',
    'iotctl local start --ephemeral --port 0 --json   # until Ctrl-C',
    'iotctl local start --web --ephemeral   # until Ctrl-C: open the web app URL it prints (docs/web.md)',
    'iotctl local start --data-dir ./iot-state --region eu-west-1 --subscribe-denied close   # until Ctrl-C',
  ],
  notes:
    'The region comes from --region, else the local profile, else us-east-1.\nRuns in the foreground; Ctrl-C or SIGTERM stops it. Writes the "local" profile, so `iotctl --profile local ...` talks to it.\nEvery denied MQTT operation and failed authentication is printed on stderr with its explanation, and kept for `iotctl local logs`.',
  async run(ctx, _args, o) {
    if (o.ephemeral && o.dataDir) throw usageError('CONFLICTING_OPTIONS', '--ephemeral and --data-dir exclude each other.');
    const ports = {
      http: parsePort(o.port, '--port'),
      mqtt: parsePort(o.mqttPort, '--mqtt-port'),
      ws: parsePort(o.wsPort, '--ws-port'),
      https: parsePort(o.httpsPort, '--https-port'),
    };
    const region = ctx.globals.region ?? (await ctx.config()).profiles[LOCAL_PROFILE]?.region ?? 'us-east-1';
    if (!isRegion(region)) throw usageError('INVALID_REGION', `"${region}" does not look like an AWS region (e.g. us-east-1).`);
    if (!isAccountId(o.accountId)) throw usageError('INVALID_ACCOUNT_ID', `--account-id must be 12 digits, not "${o.accountId}".`);
    if (!(SUBSCRIBE_DENIED as readonly string[]).includes(o.subscribeDenied)) {
      throw usageError('INVALID_OPTION', `--subscribe-denied must be suback or close, not "${o.subscribeDenied}".`);
    }
    const web = o.web || o.webDir !== undefined ? { port: parsePort(o.webPort, '--web-port'), root: o.webDir !== undefined ? await webFolder(o.webDir) : undefined } : undefined;
    const dataDir = o.ephemeral ? undefined : o.dataDir ? path.resolve(o.dataDir) : defaultLocalDataDir(ctx.env);
    const options = { dataDir, ephemeral: o.ephemeral === true, host: o.host, ports, region, accountId: o.accountId, subscribeDenied: o.subscribeDenied as 'suback' | 'close', web };

    const emulator = await startEmulator(ctx, options);
    try {
      await rememberInLocalProfile(ctx, emulator, dataDir);
      printReady(ctx, emulator, dataDir);
      ctx.out.info(ctx.out.ce.dim('Press Ctrl-C to stop.'));
      await waitForAbort(ctx.signal);
      ctx.out.info('stopping...');
    } finally {
      await emulator.close();
      // An in-memory instance takes its CA and keys with it: a profile left pointing at it would only mislead.
      if (!dataDir) await forgetProfileOf(ctx, emulator.endpoints.controlPlane);
    }
    ctx.out.info(dataDir ? 'stopped; state saved.' : 'stopped.');
    // Ctrl-C is an interruption (130, like every command); SIGTERM is a supervisor's clean stop (0).
    return ctx.signal.reason === 'SIGTERM' ? ExitCode.OK : ExitCode.INTERRUPTED;
  },
});

/** createEmulator, with its requests (--verbose), errors and denials on stderr. */
async function startEmulator(ctx: Context, options: Omit<EmulatorOptions, 'log'>): Promise<Emulator> {
  const { createEmulator, formatAuthLogEvent } = await import('../../emulator/index.js');
  const { ce } = ctx.out;
  return ctx.out.step('starting the local IoT Core', () =>
    createEmulator({
      ...options,
      log: {
        request: ctx.out.verbose ? (line) => ctx.out.log(line) : undefined,
        error: (message, err) => ctx.out.warn(err === undefined ? message : `${message}: ${(err as Error)?.stack ?? String(err)}`),
        // One readable line per denial on stderr, even off a terminal (a supervisor's log keeps it); --quiet silences it.
        auth: (event) => ctx.out.notice(formatAuthLogEvent(event, { time: ce.dim, label: (kind, text) => (kind === 'denied' || kind === 'auth-failed' ? ce.red(text) : ce.yellow(text)) })),
      },
    }),
  );
}

/** Writes the local profile, so `iotctl --profile local ...` (and device folders provisioned with it) reach this instance. */
async function rememberInLocalProfile(ctx: Context, emulator: Emulator, dataDir: string | undefined): Promise<void> {
  const { endpoints, credentials } = emulator;
  await updateConfig(ctx.env, (c) => {
    const profile = { ...c.profiles[LOCAL_PROFILE] };
    profile.region = endpoints.region;
    profile['endpoint-url'] = endpoints.controlPlane;
    profile['access-key-id'] = credentials.accessKeyId;
    profile['secret-access-key'] = credentials.secretAccessKey;
    profile['ca-file'] = endpoints.caFile;
    profile['data-endpoint'] = endpoints.dataHost;
    profile['mqtt-port'] = String(endpoints.mqtt.port);
    profile['ws-port'] = String(endpoints.ws.port);
    profile['https-port'] = String(endpoints.https.port);
    // The web app's pool is then the profile's: sign-url, pub, sub and tail --auth cognito use it without --identity-pool-id.
    if (endpoints.web) profile['identity-pool-id'] = endpoints.web.identityPoolId;
    if (dataDir) profile['local-data-dir'] = dataDir;
    else delete profile['local-data-dir'];
    c.profiles[LOCAL_PROFILE] = profile;
  });
}

/** Removes the local profile if it still names this (ephemeral) instance; another instance may have taken it over since. */
async function forgetProfileOf(ctx: Context, controlPlane: string): Promise<void> {
  await updateConfig(ctx.env, (c) => {
    if (c.profiles[LOCAL_PROFILE]?.['endpoint-url'] === controlPlane) delete c.profiles[LOCAL_PROFILE];
  });
}

/** Where it listens and how to use it: one record, so a supervisor reads it as soon as it appears (also without --json). */
function printReady(ctx: Context, emulator: Emulator, dataDir: string | undefined): void {
  const { endpoints, credentials } = emulator;
  const ready = {
    region: endpoints.region,
    accountId: endpoints.accountId,
    controlPlane: endpoints.controlPlane,
    dataEndpoint: endpoints.dataHost,
    mqtt: `${endpoints.mqtt.host}:${endpoints.mqtt.port}`,
    websocket: endpoints.ws.url,
    https: `${endpoints.https.host}:${endpoints.https.port}`,
    ...(endpoints.web ? { web: endpoints.web.url, identityPoolId: endpoints.web.identityPoolId } : {}),
    caFile: endpoints.caFile,
    logFile: endpoints.logFile,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    dataDir: dataDir ?? null,
    profile: LOCAL_PROFILE,
    pid: process.pid,
  };
  // The root secret goes to a terminal or into --json, never into a log a supervisor keeps.
  const secretShown = ctx.out.stdout.isTTY === true;
  const secretCommand = `iotctl --profile ${LOCAL_PROFILE} config get secret-access-key`;
  const secretText = secretShown ? credentials.secretAccessKey : `(not shown off a terminal: ${secretCommand}, or --json)`;
  const secretEnv = secretShown ? shellQuote(credentials.secretAccessKey) : `"$(${secretCommand})"`;
  ctx.out.record(ready, (r, c) =>
    [
      c.green('Local AWS IoT Core is running.'),
      `  control plane   ${c.bold(r.controlPlane)}  (IoT and Cognito Identity; region ${r.region}, account ${r.accountId})`,
      `  MQTT            ${c.bold(r.mqtt)}  (mutual TLS: device certificates)`,
      `  WebSocket       ${c.bold(r.websocket)}  (SigV4-presigned, service iotdevicegateway)`,
      `  HTTPS           ${c.bold(r.https)}  (publish, retained messages, shadows: a client certificate, or SigV4 service iotdata)`,
      ...(r.web ? [`  web app         ${c.bold(r.web)}  (open it in a browser; identity pool ${r.identityPoolId})`] : []),
      `  CA certificate  ${r.caFile}`,
      `  auth log        ${r.logFile}  (iotctl local logs)`,
      `  access key      ${r.accessKeyId}`,
      `  secret key      ${secretText}`,
      `  data            ${r.dataDir ?? 'in memory (--ephemeral): gone when stopped'}`,
      `  profile         ${r.profile}  (${configFile(ctx.env)})`,
      '',
      'Use it:',
      `  iotctl --profile local thing list`,
      `  iotctl --profile local provision lamp-1 --yes && mosquitto_sub --cafile ${shellQuote(r.caFile)} --cert lamp-1/certificate.pem --key lamp-1/private.key \\`,
      `    -h ${endpoints.mqtt.host} -p ${endpoints.mqtt.port} -i lamp-1 -t 'things/lamp-1/#'`,
      `  AWS_ACCESS_KEY_ID=${r.accessKeyId} AWS_SECRET_ACCESS_KEY=${secretEnv} \\`,
      `    aws --endpoint-url ${r.controlPlane} --region ${r.region} iot list-things`,
      `  SDK v3: new IoTClient({ endpoint: '${r.controlPlane}', region: '${r.region}', credentials: { accessKeyId, secretAccessKey } })`,
    ].join('\n'),
  );
}

/** The folder of --web-dir, checked before anything starts: it must hold an index.html. */
async function webFolder(dir: string): Promise<string> {
  const root = path.resolve(dir);
  const { stat } = await import('node:fs/promises');
  const index = await stat(path.join(root, 'index.html')).catch(() => undefined);
  if (!index?.isFile()) throw usageError('WEB_DIR', `--web-dir ${dir} has no index.html.`, 'start from a copy of the app: iotctl web init <dir> (docs/web.md)');
  return root;
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
