import { promises as fs } from 'node:fs';
import { defineCommand } from '../define.js';
import { ExitCode, IotctlError } from '../../core/errors.js';
import { DATA_DIR_OPTION, localDataDir } from './common.js';

export default defineCommand({
  declare: (cmd) =>
    cmd
      .option(...DATA_DIR_OPTION)
      .option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)')
      .option('--all', 'also delete the CA, the server certificate and the root access key (new ones are made at the next start)'),
  examples: ['iotctl local reset   # exit 2: it asks on a terminal; elsewhere pass --yes', 'iotctl local reset --yes --json', 'iotctl local reset --all --yes'],
  async run(ctx, _args, options) {
    const { FILES, findInstance } = await import('../../emulator/datadir.js');
    const dataDir = await localDataDir(ctx, options.dataDir);
    const instance = await findInstance(dataDir);
    if (instance.state === 'running') {
      throw new IotctlError('LOCAL_RUNNING', `The local IoT Core is running on ${dataDir} (pid ${instance.info.pid}); refusing to reset it.`, {
        hint: 'stop it first (Ctrl-C in its terminal, or kill ' + instance.info.pid + ')',
      });
    }
    if (!options.yes) {
      const what = options.all ? 'all state, the CA and the root key' : 'all things, certificates, policies, identities, retained messages, shadows, persistent sessions and the auth log';
      if (!(await ctx.out.confirm(`Delete ${what} of the local IoT Core in ${dataDir}?`, '--yes'))) {
        ctx.out.info('nothing deleted.');
        return ExitCode.FAILURE;
      }
    }
    const names: string[] = [FILES.state, FILES.runtime, FILES.retained, FILES.shadows, FILES.sessions, FILES.sessionJournal, FILES.authLog, `${FILES.authLog}.1`];
    if (options.all) names.push(FILES.secrets, FILES.caCert, FILES.caKey, FILES.serverCert, FILES.serverKey);
    let present: string[] = [];
    try {
      present = await fs.readdir(dataDir);
    } catch {
      // no directory: nothing to delete
    }
    // Temp files of writes cut short by a crash go too.
    const tempOf = (file: string, n: string) => n.startsWith(`.${file}.`) && n.endsWith('.tmp');
    const removed = present.filter((n) => names.includes(n) || [FILES.state, FILES.retained, FILES.shadows, FILES.sessions, FILES.sessionJournal].some((file) => tempOf(file, n)));
    await Promise.all(removed.map((n) => fs.rm(`${dataDir}/${n}`, { force: true })));
    ctx.out.result({ dataDir, removed }, (r) => (r.removed.length ? `reset ${r.dataDir} (removed ${r.removed.join(', ')})` : `nothing to reset in ${r.dataDir}`));
    return ExitCode.OK;
  },
});
