/** `iotctl web init <dir>`: a copy of the web app (templates/web) to make your own. */
import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { shellQuote } from '../../core/shell.js';

export default defineCommand({
  declare: (cmd) => cmd.argument('<dir>', 'the folder to copy the app into (made if missing)').option('--force', 'replace files of the app already in the folder'),
  examples: ['iotctl web init my-app', 'iotctl local start --web-dir my-app   # keeps running: open the web app URL it prints'],
  notes:
    'Copies index.html, app.js, aws.js, sigv4.js, reason-codes.js, style.css, config.js and MQTT.js for the browser (vendor/mqtt.esm.js).\nServe it with `iotctl local start --web-dir <dir>` (which answers /config.js for the local IoT Core),\nor edit config.js for your AWS account and put the folder on any static host (docs/web.md).',
  async run(ctx, [dir], o) {
    const { copyWebApp } = await import('../../web/init.js');
    const copied = await copyWebApp(dir, { force: o.force === true });
    ctx.out.result(copied, (r) =>
      [`copied the web app to ${r.dir} (${r.files.length} files)`, `run it:  iotctl local start --web-dir ${shellQuote(r.dir)}`, `on AWS:  edit ${shellQuote(`${r.dir}/config.js`)} (docs/web.md)`].join('\n'),
    );
    return ExitCode.OK;
  },
});
