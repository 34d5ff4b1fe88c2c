/**
 * Following topics until Ctrl-C, as `iotctl tail` and `iotctl shadow watch`
 * do: runTail's reconnecting loop, a status line on a terminal, and the
 * messages printed through the command's renderer.
 */
import type { Context } from './context.js';
import type { ExitCode } from '../core/errors.js';
import { StatusLine } from '../messaging/status.js';
import { runTail, type Subscription } from '../messaging/subscribe.js';
import type { Renderer } from '../messaging/render.js';
import type { ConnectionSpec } from '../mqtt/types.js';
import { connector } from './mqtt-options.js';
import { openOutput, type MessageOutput, type OutputFlags } from './output-options.js';

/** Keep-alive for a long-lived follow: a dead connection is noticed within about 45 s (AWS IoT's minimum is 30 s). */
export const FOLLOW_KEEP_ALIVE_SECONDS = 30;

/**
 * Opens the output (so a bad --out fails before anything connects), resolves
 * the connection, and follows `sub`. `render` is given the output (to know
 * whether it prints on a terminal); without it, the output's own renderer.
 */
export async function followTopics(
  ctx: Context,
  resolve: () => Promise<ConnectionSpec>,
  sub: Subscription,
  flags: OutputFlags,
  render?: (output: MessageOutput) => Renderer,
): Promise<ExitCode> {
  let status: StatusLine | undefined;
  const output = openOutput(ctx, flags, { before: () => status?.clear(), after: () => status?.draw() });
  try {
    const spec = await resolve();
    if (ctx.out.interactive) {
      status = new StatusLine(ctx.streams.stderr, `${spec.endpoint}:${spec.port}`, ctx.out.ce);
      status.start();
    }
    let received = 0;
    const code = await runTail(sub, {
      connect: connector(ctx, spec),
      signal: ctx.signal,
      render: render ? render(output) : output.render,
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
    });
    status?.stop();
    ctx.out.info(`received ${received} message${received === 1 ? '' : 's'}`);
    return code;
  } finally {
    status?.stop();
    output.close();
  }
}
