/** `iotctl web init <dir>`: a copy of the web app (templates/web) to make your own. */
import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { shellQuote } from '../../core/shell.js';

export function configure(cmd: Command): void {
  cmd.argument('<dir>', 'the folder to copy the app into (made if missing)').option('--force', 'replace files of the app already in the folder');
  examples(cmd, ['iotctl web init my-app', 'iotctl local start --web-dir my-app   # keeps running: open the web app URL it prints']);
  cmd.addHelpText(
    'after',
    '\nCopies index.html, app.js, aws.js, sigv4.js, reason-codes.js, style.css, config.js and MQTT.js for the browser (vendor/mqtt.esm.js).\nServe it with `iotctl local start --web-dir <dir>` (which answers /config.js for the local IoT Core),\nor edit config.js for your AWS account and put the folder on any static host (docs/web.md).',
  );
}

export async function run(ctx: Context, args: unknown[], options: { force?: boolean }): Promise<number> {
  const { copyWebApp } = await import('../../web/init.js');
  const copied = await copyWebApp(args[0] as string, { force: options.force });
  ctx.out.result(copied, (r) =>
    [`copied the web app to ${r.dir} (${r.files.length} files)`, `run it:  iotctl local start --web-dir ${shellQuote(r.dir)}`, `on AWS:  edit ${shellQuote(`${r.dir}/config.js`)} (docs/web.md)`].join('\n'),
  );
  return 0;
}
