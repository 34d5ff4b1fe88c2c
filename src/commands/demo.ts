import { defineCommand } from './define.js';
import type { Context } from './context.js';
import { ExitCode } from '../core/errors.js';
import { formatTable, truncate } from '../io/table.js';
import type { Check } from '../demo/checks.js';
import type { Narrator } from '../demo/story.js';


function humanNarrator(ctx: Context): Narrator {
  const { c } = ctx.out;
  const write = (line: string) => ctx.out.text(line);
  return {
    chapter(title, text) {
      write(`\n${c.bold(title)}\n${c.dim(text)}`);
    },
    async step(title, work) {
      const spinner = await ctx.out.spinner(title);
      try {
        const value = await work();
        spinner.stop();
        write(`  ${c.cyan('•')} ${title}`);
        return value;
      } catch (err) {
        spinner.fail(title);
        throw err;
      }
    },
    check(check) {
      const mark = check.ok ? c.green('✔') : c.red('✘');
      const verdict = check.actual === 'allowed' ? c.green('allowed') : check.actual === 'denied' ? c.yellow('denied') : c.red('error');
      write(`  ${mark} ${check.title}: ${verdict}${check.ok ? '' : c.red(` (expected ${check.expected})`)}`);
      if (check.why) write(`      ${c.dim('why:')} ${check.why}`);
      else if (check.detail && (!check.ok || check.actual === 'allowed')) write(`      ${c.dim(check.detail)}`);
    },
  };
}

const silentNarrator: Narrator = { chapter() {}, step: (_title, work) => work(), check() {} };

export default defineCommand({
  declare: (cmd) => cmd,
  examples: ['iotctl demo', 'iotctl demo --json | jq .ok'],
  notes:
    'Runs a local AWS IoT Core in this process (free ports, a temporary folder; no AWS account, nothing left behind) and walks through:\n' +
    '  1. provisioning a device and publishing from it,\n' +
    '  2. home policies: Alice and Bob allowed in home 123_aws_ave, Chuck refused, with the reason,\n' +
    '  3. a Cognito user from guest access, through "denied until registered", to connected,\n' +
    '  4. the lamp\'s Device Shadow: the user sets it to "on" from her app, the lamp gets the delta and reports it; Chuck may not read it.\n' +
    'Exit 0 only if every expected allow and deny happened.',
  async run(ctx) {
    const started = Date.now();
    const { createWorld } = await import('../demo/world.js');
    const { tellStory } = await import('../demo/story.js');
    const narrator = ctx.out.json ? silentNarrator : humanNarrator(ctx);
    const world = await narrator.step('starting a local AWS IoT Core in this process (control plane, MQTT over mutual TLS, SigV4 WebSockets)', () => createWorld());
    let checks: Check[];
    try {
      checks = await tellStory(world, narrator);
    } finally {
      // A device SDK connection the broker closed may hold the event loop for a while; cli/main.ts exits regardless.
      await world.close();
    }
    const ok = checks.every((check) => check.ok);
    const seconds = (Date.now() - started) / 1000;
    ctx.out.result({ ok, checks, seconds }, (r, c) =>
      [
        '',
        c.bold('Summary'),
        formatTable(
          ['', 'EXPECTED', 'ACTUAL', 'CHECK'],
          // The title goes last and is cut to the terminal (80 columns where it does not say): the columns stay readable.
          r.checks.map((check) => [check.ok ? c.green('ok') : c.red('WRONG'), check.expected, check.actual, truncate(check.title, summaryWidth(ctx) - 24)]),
        ),
        '',
        r.ok
          ? c.green(`All ${r.checks.length} checks behaved as AWS IoT would, in ${r.seconds.toFixed(1)} s. Nothing was left behind.`)
          : c.red(`${r.checks.filter((x) => !x.ok).length} of ${r.checks.length} checks did not behave as expected.`),
        c.dim('Next: iotctl local start          (a local IoT Core that keeps running)'),
        c.dim('      iotctl --profile local provision pi01 --yes'),
      ].join('\n'),
    );
    return ok ? ExitCode.OK : ExitCode.FAILURE;
  },
});

/** The width the summary fits: the terminal's, at most 100; 80 when it does not say (a pipe, CI). */
function summaryWidth(ctx: Context): number {
  const columns = Number(ctx.streams.stdout.columns);
  return columns > 40 ? Math.min(columns, 100) : 80;
}
