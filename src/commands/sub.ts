/** `iotctl sub <filter...>`: print messages until --count, --timeout or Ctrl-C. */
import { defineCommand } from './define.js';
import { ExitCode, IotctlError } from '../core/errors.js';
import { checkConnectionFlags, parsePositiveDuration } from '../mqtt/resolve.js';
import { runSub } from '../messaging/subscribe.js';
import { addConnectionOptions, checkFilters, connector, describeTarget, parseCount, parseQos, resolveFromContext } from './mqtt-options.js';
import { addOutputOptions, openOutput } from './output-options.js';

export default defineCommand({
  declare: (cmd) =>
    addConnectionOptions(
      addOutputOptions(
        cmd
          .argument('<filter...>', 'topic filters (+ matches one level, # the rest)')
          .option('--qos <qos>', 'maximum QoS to receive with: 0 or 1', '0')
          .option('--count <n>', 'exit (0) after n messages')
          .option('--timeout <duration>', 'exit with code 6 if --count messages have not arrived this long after subscribing (e.g. 10s, 2m)'),
      ),
    ),
  examples: [
    "iotctl sub --device ./pi01 'things/pi01/#'   # until Ctrl-C",
    "iotctl sub --auth sigv4 'dt/+/temp' --count 1 --timeout 2s --json | jq .payload.t   # exit 6: no message within 2 s",
    "iotctl sub --auth sigv4 'sensors/#' | head -n 3   # until Ctrl-C",
    "iotctl sub --auth sigv4 'logs/#' --format template --template '{{iso}} {{topic}} {{payload.level}} {{payload.msg}}'   # until Ctrl-C",
    "iotctl sub --auth sigv4 'cam/+/frame' --format raw --out frames.bin   # until Ctrl-C",
    "iotctl --profile local sub --auth sigv4 'test/#' --qos 1   # until Ctrl-C",
  ],
  notes:
    'On a terminal messages are shown pretty; piped or with --json, one JSON object per line (binary payloads as base64).\nExit codes: 0 ok, 2 usage error, 3 denied or subscription refused, 5 connection/TLS, 6 timeout, 130 interrupted.',
  async run(ctx, [filters], o) {
    checkFilters(filters);
    const qos = parseQos(o.qos);
    const count = o.count !== undefined ? parseCount(o.count, '--count') : undefined;
    const timeoutMs = o.timeout !== undefined ? parsePositiveDuration(o.timeout, '--timeout') : undefined;
    checkConnectionFlags(o);
    const output = openOutput(ctx, o);
    try {
      const spec = await resolveFromContext(ctx, o, { role: 'sub' });
      ctx.out.info(`subscribing to ${filters.join(' ')} on ${describeTarget(spec)}${count === undefined ? ' (Ctrl-C to stop)' : ''}`);
      const { received, exitCode } = await runSub(
        { filters, qos, count, timeoutMs },
        { connect: connector(ctx, spec), signal: ctx.signal, render: output.render, writer: output.writer, warn: (m) => ctx.out.warn(m), log: (l) => ctx.out.log(l) },
      );
      if (exitCode === ExitCode.TIMEOUT) throw subTimeout(o.timeout!, received, count);
      ctx.out.info(`received ${messages(received)}`);
      return exitCode;
    } finally {
      output.close();
    }
  },
});

const messages = (n: number) => `${n} message${n === 1 ? '' : 's'}`;

/** --timeout ran out: exit 6 with one error line (JSON under --json), like any failure. */
function subTimeout(timeout: string, received: number, count: number | undefined): IotctlError {
  const got = count === undefined ? `${messages(received)} arrived` : `${received} of ${messages(count)} arrived`;
  return new IotctlError('TIMEOUT', `Timed out after ${timeout}: ${got}.`, {
    exitCode: ExitCode.TIMEOUT,
    hint: received === 0 ? 'check that something publishes on these topics, and that the policy allows iot:Receive on them' : undefined,
    details: { received, count },
  });
}
