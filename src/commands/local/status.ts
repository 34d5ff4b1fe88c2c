import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { DATA_DIR_OPTION, LOCAL_PROFILE, localDataDir } from './common.js';

interface Status {
  running: boolean;
  dataDir: string;
  pid?: number;
  controlPlane?: string;
  /** host:port of MQTT over mutual TLS. */
  mqtt?: string;
  /** wss://host:port/mqtt */
  websocket?: string;
  /** host:port of the HTTPS data plane. */
  https?: string;
  region?: string;
  accountId?: string;
  caFile?: string;
  startedAt?: string;
  ephemeral?: boolean;
  /** server.json left behind by an instance that no longer runs. */
  stalePid?: number;
  /** The local profile's endpoint, which does not answer. */
  deadProfile?: string;
}

export default defineCommand({
  declare: (cmd) => cmd.option(...DATA_DIR_OPTION),
  examples: ['iotctl local status', 'iotctl local status --json | jq .controlPlane'],
  notes: 'Exit status: 0 when it is running, 1 when it is not.',
  /**
   * The instance the user means: --data-dir's; else the one the local profile
   * names (what `--profile local` commands talk to), asked over the network, so
   * a dead profile reads as not running even while another data dir's instance runs.
   */
  async run(ctx, _args, options) {
    const { findInstance, probeHealth } = await import('../../emulator/datadir.js');
    const dataDir = await localDataDir(ctx, options.dataDir);
    const profile = (await ctx.config()).profiles[LOCAL_PROFILE];
    const url = options.dataDir ? undefined : profile?.['endpoint-url'];
    let status: Status = { running: false, dataDir };
    if (url) {
      const health = await probeHealth(url);
      if (health) {
        status = {
          running: true,
          ephemeral: !health.dataDir,
          dataDir: health.dataDir ?? dataDir,
          pid: health.pid,
          controlPlane: url,
          mqtt: health.mqtt,
          websocket: health.websocket,
          https: health.https,
          region: health.region,
          accountId: health.accountId,
          caFile: profile?.['ca-file'],
          startedAt: health.startedAt,
        };
      } else status.deadProfile = url;
    } else {
      const instance = await findInstance(dataDir);
      if (instance.state === 'running') {
        const { info } = instance;
        status = { running: true, dataDir, pid: info.pid, controlPlane: info.controlPlane, mqtt: instance.health.mqtt, websocket: instance.health.websocket, https: instance.health.https, region: info.region, accountId: info.accountId, caFile: info.caFile, startedAt: info.startedAt };
      } else if (instance.state === 'stale') status.stalePid = instance.info.pid;
    }
    ctx.out.result(status, (s, c) => {
      if (!s.running) {
        if (s.deadProfile) return `${c.yellow('not running')}: the local profile points at ${s.deadProfile}, which does not answer (start it: iotctl local start)`;
        return `${c.yellow('not running')} (data: ${s.dataDir})${s.stalePid ? c.dim(`; server.json of pid ${s.stalePid} is stale`) : ''}`;
      }
      return [
        `${c.green('running')}  pid ${s.pid}, since ${s.startedAt}`,
        `  control plane   ${s.controlPlane}  (region ${s.region}, account ${s.accountId})`,
        ...(s.mqtt ? [`  MQTT            ${s.mqtt}  (mutual TLS)`] : []),
        ...(s.websocket ? [`  WebSocket       ${s.websocket}  (SigV4)`] : []),
        ...(s.https ? [`  HTTPS           ${s.https}  (client certificate or SigV4)`] : []),
        `  CA certificate  ${s.caFile ?? '-'}`,
        `  data            ${s.ephemeral ? 'in memory (--ephemeral)' : s.dataDir}`,
      ].join('\n');
    });
    return status.running ? ExitCode.OK : ExitCode.FAILURE;
  },
});
