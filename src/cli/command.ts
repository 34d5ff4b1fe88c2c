import type { Command } from 'commander';
import type { Context } from './context.js';

/**
 * A command module: `configure` declares arguments, options and examples on the
 * commander command; `run` does the work and returns an exit code (0 if omitted).
 * Modules are imported only when their command runs.
 */
export interface CommandModule<Options = Record<string, unknown>> {
  configure(cmd: Command): void;
  run(ctx: Context, args: unknown[], options: Options): Promise<number | void>;
}

/** Appends an "Examples:" section to a command's --help. */
export function examples(cmd: Command, lines: string[]): void {
  cmd.addHelpText('after', '\nExamples:\n' + lines.map((l) => `  $ ${l}`).join('\n'));
}

/**
 * An old spelling of an option, kept working but not shown in --help (see
 * docs/cli.md, "One vocabulary"): its value lands on the new option's attribute.
 */
export function hiddenAlias(cmd: Command, flags: string, attribute: string): Command {
  const option = cmd.createOption(flags).hideHelp();
  cmd.addOption(option);
  cmd.on(`option:${option.name()}`, (value: unknown) => cmd.setOptionValue(attribute, value ?? true));
  return cmd;
}
