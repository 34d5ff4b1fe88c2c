/** How a command is written: defineCommand, and the helpers its declarations use (examples, old option spellings, repeatable options). */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { Context } from './context.js';
import type { ExitCode } from '../core/errors.js';

/**
 * A command: its declarations (arguments, options) and what it does with them.
 * `run` gets the arguments and options typed from the declarations themselves
 * (commander's own extra-typings), parses them into the options of a library
 * function, calls it, prints what it returns through ctx.out and returns the
 * exit code. Modules are imported only when their command runs.
 */
export interface CommandDefinition<Args extends unknown[], Opts extends OptionValues> {
  declare(cmd: Command): Command<Args, Opts>;
  /** Shown under "Examples:" in --help; every one is run by the documented-examples test. */
  examples?: string[];
  /** Help text after the examples: exit codes, what the command does beyond its options. */
  notes?: string;
  run(ctx: Context, args: Args, options: Opts): Promise<ExitCode>;
}

/** The options a `declare` function declares, as `run` gets them: for helpers that take them all. */
export type OptionsOf<Declare extends (cmd: Command) => Command<any[], OptionValues>> = ReturnType<ReturnType<Declare>['opts']>;

/** A command as cli/main.ts sees it: any arguments and options. */
export type CommandModule = CommandDefinition<any[], OptionValues>;

/** Ties `run`'s parameters to what `declare` declares. */
export function defineCommand<Args extends unknown[], Opts extends OptionValues>(spec: CommandDefinition<Args, Opts>): CommandModule {
  return spec;
}

/** Appends an "Examples:" section to a command's --help. */
export function examples(cmd: { addHelpText(position: 'after', text: string): unknown }, lines: string[]): void {
  cmd.addHelpText('after', '\nExamples:\n' + lines.map((l) => `  $ ${l}`).join('\n'));
}

/**
 * An old spelling of an option, kept working but not shown in --help (see
 * docs/cli.md, "One vocabulary"): its value lands on the new option's attribute.
 */
export function hiddenAlias<C extends Command<any[], OptionValues>>(cmd: C, flags: string, attribute: string): C {
  const option = cmd.createOption(flags).hideHelp();
  cmd.addOption(option);
  cmd.on(`option:${option.name()}`, (value: unknown) => cmd.setOptionValue(attribute, value ?? true));
  return cmd;
}

/** commander reducer for repeatable options (`--attr a=1 --attr b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
