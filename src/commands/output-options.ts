/** The output options of sub and tail: format, template, file; checked and opened before connecting. */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { hiddenAlias } from './define.js';
import type { Context } from './context.js';
import { usageError } from '../core/errors.js';
import { NO_COLORS } from '../io/colors.js';
import { chooseFormat, createRenderer, type Renderer } from '../messaging/render.js';
import { LineWriter, openFileSink, type WriterHooks } from '../messaging/writer.js';

export interface OutputFlags {
  format?: string;
  template?: string;
  out?: string;
}

export function addOutputOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return hiddenAlias(
    cmd
      .option('--format <format>', 'pretty, json, ndjson, raw or template (default: pretty on a terminal, NDJSON when piped or with --json)')
      .option('--template <text>', 'output template, implies --format template: {{topic}} {{payload}} {{payload.<path>}} {{qos}} {{retain}} {{iso}} {{ts}} {{bytes}} {{base64}} {{property.<name>}}')
      .option('-o, --out <file>', 'write messages to this file (NDJSON by default) instead of stdout'),
    '--output <file>',
    'out',
  );
}

export interface MessageOutput {
  render: Renderer;
  writer: LineWriter;
  /** Whether messages go to the terminal the person is looking at. */
  toTerminal: boolean;
  close(): void;
}

/** Checks the output flags and opens --out before anything connects. */
export function openOutput(ctx: Context, o: OutputFlags, hooks: WriterHooks = {}): MessageOutput {
  const toFile = o.out !== undefined;
  const toTerminal = !toFile && ctx.streams.stdout.isTTY === true;
  const format = chooseFormat(o.format, { json: ctx.globals.json, tty: toTerminal, template: o.template });
  const render = createRenderer({ format, template: o.template, colors: toTerminal ? ctx.out.c : NO_COLORS, columns: ctx.streams.stdout.columns || undefined });
  if (o.template !== undefined && format !== 'template') throw usageError('TEMPLATE_WITHOUT_FORMAT', '--template needs --format template (or no --format).');
  const file = toFile ? openFileSink(o.out!) : undefined;
  // Raw payloads may be binary: process.stdout takes Buffers though OutStream is typed for strings.
  const sink = file ?? { write: (chunk: string | Uint8Array) => (ctx.streams.stdout.write as (c: string | Uint8Array) => boolean)(chunk) };
  return { render, writer: new LineWriter(sink, toTerminal ? hooks : {}), toTerminal, close: () => file?.close() };
}
