import { defineCommand } from '../define.js';
import { ExitCode, notFoundError } from '../../core/errors.js';
import { exists } from '../../io/files.js';
import { DATA_DIR_OPTION, LOCAL_PROFILE, localDataDir } from './common.js';

export default defineCommand({
  declare: (cmd) => cmd.option(...DATA_DIR_OPTION),
  examples: ['iotctl local ca', 'curl --cacert "$(iotctl local ca)" "https://localhost:$(iotctl --profile local config get ws-port)/"', 'iotctl local ca --json'],
  async run(ctx, _args, options) {
    const { dataFile } = await import('../../emulator/datadir.js');
    const dataDir = await localDataDir(ctx, options.dataDir);
    let caFile: string | undefined = dataFile(dataDir, 'caCert');
    if (!(await exists(caFile))) {
      // An --ephemeral instance keeps its CA in a temp file, which the local profile names.
      const fromProfile = options.dataDir ? undefined : (await ctx.config()).profiles[LOCAL_PROFILE]?.['ca-file'];
      caFile = fromProfile && (await exists(fromProfile)) ? fromProfile : undefined;
    }
    if (!caFile) throw notFoundError('LOCAL_CA_MISSING', `There is no local CA in ${dataDir} yet.`, 'it is created by: iotctl local start');
    ctx.out.result({ caFile }, (r) => r.caFile);
    return ExitCode.OK;
  },
});
