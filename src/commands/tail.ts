/** `iotctl tail <filter...>`: follow topics until Ctrl-C, reconnecting as needed. */
import { defineCommand } from './define.js';
import { checkConnectionFlags } from '../mqtt/resolve.js';
import { StatusLine } from '../messaging/status.js';
import { runTail } from '../messaging/subscribe.js';
import { addConnectionOptions, checkFilters, connector, parseQos, resolveFromContext } from './mqtt-options.js';
import { addOutputOptions, openOutput } from './output-options.js';

/** Keep-alive for a long-lived follow: a dead connection is noticed within about 45 s (AWS IoT's minimum is 30 s). */
const TAIL_KEEP_ALIVE_SECONDS = 30;

export default defineCommand({
  declare: (cmd) =>
    addConnectionOptions(addOutputOptions(cmd.argument('<filter...>', 'topic filters (+ matches one level, # the rest)').option('--qos <qos>', 'maximum QoS to receive with: 0 or 1', '0'))),
  examples: [
    "iotctl tail --device ./pi01 'things/pi01/#'   # until Ctrl-C",
    "iotctl tail --auth sigv4 '$aws/things/+/shadow/update/accepted' --json >> shadow-updates.ndjson   # until Ctrl-C",
    "iotctl --profile local tail --auth sigv4 '#'   # until Ctrl-C",
  ],
  notes:
    'Reconnects with exponential backoff (and jitter) and resubscribes; on a terminal a status line on stderr shows the state and messages per second.\nCtrl-C disconnects cleanly and exits 130. Other exit codes: 2 usage error, 3 denied or subscription refused, 5 connection/TLS (before the first connection).',
  async run(ctx, [filters], o) {
    checkFilters(filters);
    const qos = parseQos(o.qos);
    checkConnectionFlags(o);
    let status: StatusLine | undefined;
    const output = openOutput(ctx, o, { before: () => status?.clear(), after: () => status?.draw() });
    try {
      const spec = await resolveFromContext(ctx, o, { keepAliveSeconds: TAIL_KEEP_ALIVE_SECONDS, role: 'tail' });
      if (ctx.out.interactive) {
        status = new StatusLine(ctx.streams.stderr, `${spec.endpoint}:${spec.port}`, ctx.out.ce);
        status.start();
      }
      let received = 0;
      const code = await runTail(
        { filters, qos },
        {
          connect: connector(ctx, spec),
          signal: ctx.signal,
          render: output.render,
          writer: output.writer,
          warn: (m) => {
            status?.clear();
            ctx.out.warn(m);
          },
          log: (l) => {
            status?.clear();
            ctx.out.log(l);
          },
          status: (s) => status?.set(s),
          counted: () => {
            received++;
            status?.count();
          },
        },
      );
      status?.stop();
      ctx.out.info(`received ${received} message${received === 1 ? '' : 's'}`);
      return code;
    } finally {
      status?.stop();
      output.close();
    }
  },
});
