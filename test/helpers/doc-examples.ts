/**
 * Finds the command examples in Markdown files and in `--help` Examples blocks, and reads the
 * trailing-comment tags that say how each one is expected to end (README.md, "Writing docs").
 * Pure: text in, examples and problems out. Anything it cannot classify is a problem, so a new
 * example never goes untested.
 */

/** How the docs test runs an example. */
export type Mode =
  | 'run' // runs to completion; its exit code is checked
  | 'interrupt' // `until Ctrl-C`: once it is running, SIGINT; then its exit code is checked
  | 'background' // a trailing `&`, or `keeps running`: stopped with SIGINT at the end of its document
  | 'aws'; // `needs AWS`: run against an unreachable endpoint; only a usage error (exit 2) fails it

export interface Example {
  /** 'README.md', 'docs/mqtt.md' or 'iotctl policy test --help'. */
  document: string;
  /** Where to look: 'README.md:42', or the help block. */
  where: string;
  /** The shell command as written, continuation lines joined, comment and trailing `&` removed. */
  command: string;
  /** The trailing comment (without `#`), if any. */
  comment?: string;
  callsIotctl: boolean;
  mode: Mode;
  /** The documented exit code: `exit N`, else 130 for interrupted ones, else 0. */
  exit: number;
  /** Placeholders such as `<certificate id>` left for the runner to fill. */
  placeholders: string[];
}

export interface Extraction {
  examples: Example[];
  problems: string[];
}

const RUNNABLE_FENCES = new Set(['sh', 'bash', 'shell', 'console']);
const TAG_WORDS = /^(exit|needs|until|keeps)\b/i;
/** `<certificate id>`, `<id>`: a placeholder, not a redirect (`< file`). */
const PLACEHOLDER = /<([a-z][a-z0-9 _-]*)>/gi;

/** Splits a shell line into the command and its trailing comment, minding quotes. */
export function splitComment(line: string): { command: string; comment?: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"') i++;
      continue;
    }
    if (ch === '\\') i++;
    else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return { command: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
  }
  return { command: line.trimEnd() };
}

/** True when `iotctl` (or `npx iotctl`) is in command position somewhere in the line. */
export function callsIotctl(command: string): boolean {
  return /(?:^|[|;&(`]|\$\()\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:npx\s+)?iotctl(?:\s|$|\))/.test(command);
}

interface Tags {
  exit?: number;
  mode?: Mode;
  problem?: string;
}

/**
 * Reads the tags at the start of a trailing comment: `exit 3`, `needs AWS`, `until Ctrl-C` or
 * `keeps running`, joined by `;`, and optionally followed by `: free text`.
 * A comment that does not start with a tag is free text.
 */
export function parseTags(comment: string | undefined): Tags {
  if (!comment) return {};
  const head = comment.split(':')[0]!.trim();
  const tags: Tags = {};
  for (const part of head.split(';').map((p) => p.trim())) {
    let m: RegExpMatchArray | null;
    if ((m = /^exit (\d{1,3})$/.exec(part))) tags.exit = Number(m[1]);
    else if (part === 'needs AWS') tags.mode = 'aws';
    else if (part === 'until Ctrl-C') tags.mode = 'interrupt';
    else if (part === 'keeps running') tags.mode = 'background';
    else if (TAG_WORDS.test(comment)) return { problem: `"# ${comment}" looks like a tag but is not one (exit N, needs AWS, until Ctrl-C, keeps running)` };
    else return {};
  }
  return tags;
}

function classify(document: string, where: string, raw: string, problems: string[]): Example | undefined {
  const { command: withAmp, comment } = splitComment(raw);
  if (!withAmp) return undefined;
  const background = /(?:^|[^&])&$/.test(withAmp);
  const command = background ? withAmp.slice(0, -1).trimEnd() : withAmp;
  const tags = parseTags(comment);
  if (tags.problem) problems.push(`${where}: ${tags.problem}`);
  const mode: Mode = tags.mode ?? (background ? 'background' : 'run');
  if (background && tags.mode && tags.mode !== 'background') problems.push(`${where}: a trailing & already means "keeps running"; drop "${tags.mode}"`);
  if (/<<-?\s*['"]?\w/.test(command)) problems.push(`${where}: here-documents are not supported in examples: ${command}`);
  const placeholders = [...command.matchAll(PLACEHOLDER)].map((m) => m[0]);
  const exit = tags.exit ?? (mode === 'interrupt' || mode === 'background' ? 130 : 0);
  return { document, where, command, comment, callsIotctl: callsIotctl(command), mode, exit, placeholders };
}

/** Joins `\`-continued lines; returns [first line index, text] per logical line. */
function logicalLines(lines: string[], start: number): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let current: [number, string] | undefined;
  lines.forEach((line, i) => {
    if (current) current[1] += ' ' + line.trim();
    else current = [start + i, line];
    if (/\\$/.test(splitComment(current[1]).command)) current[1] = splitComment(current[1]).command.replace(/\\$/, '').trimEnd();
    else {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

/**
 * The examples in a Markdown document: every command in a fenced block marked `sh`, `bash`,
 * `shell` or `console` in which some command calls iotctl (the other commands of such a block run
 * too: they make files or set variables). In a block with `$ ` prompts only prompted lines are
 * commands (the rest is output). Other languages (text, json, js, python ...) are not run. A fence
 * without a language that mentions iotctl is a problem: say `sh` to run it or `text` for output.
 */
export function examplesFromMarkdown(document: string, text: string): Extraction {
  const examples: Example[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(lines[i]!);
    if (!fence) continue;
    const [, indent, marker, lang] = fence;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(marker!)) end++;
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent!) ? l.slice(indent!.length) : l));
    const first = i + 2; // 1-based line number of the block's first line
    i = end;
    const language = lang!.toLowerCase();
    if (!language) {
      if (body.some((l) => /\biotctl\b/.test(l))) problems.push(`${document}:${first - 1}: a code block that mentions iotctl needs a language: sh (run by the docs test) or text (not run)`);
      continue;
    }
    if (!RUNNABLE_FENCES.has(language)) continue;
    const prompted = body.some((l) => /^\$ /.test(l));
    const commands: string[] = [];
    const numbers: number[] = [];
    if (prompted) {
      // Console style: `$ command` lines (and their continuations); everything else is output.
      for (let j = 0; j < body.length; j++) {
        if (!/^\$ /.test(body[j]!)) continue;
        const group = [body[j]!.slice(2)];
        while (/\\\s*$/.test(splitComment(group[group.length - 1]!).command) && j + 1 < body.length) group.push(body[++j]!);
        for (const [, t] of logicalLines(group, 0)) commands.push(t), numbers.push(first + j - group.length + 1);
      }
    } else {
      for (const [n, t] of logicalLines(body, first)) {
        if (!t.trim() || /^\s*#/.test(t)) continue;
        commands.push(t.trim());
        numbers.push(n);
      }
    }
    if (!commands.some((c) => callsIotctl(splitComment(c).command))) continue;
    commands.forEach((c, k) => {
      const example = classify(document, `${document}:${numbers[k]}`, c, problems);
      if (example) examples.push(example);
    });
  }
  return { examples, problems };
}

/** The examples of one `--help` output: the `  $ ...` lines after "Examples:". */
export function examplesFromHelp(command: string, help: string): Extraction {
  const examples: Example[] = [];
  const problems: string[] = [];
  const document = `iotctl ${command ? command + ' ' : ''}--help`;
  const section = help.split(/^Examples:$/m)[1];
  if (section === undefined) return { examples, problems: [`${document}: no Examples section`] };
  for (const line of section.split('\n')) {
    const m = /^ {2}\$ (.*)$/.exec(line);
    if (!m) {
      if (line.trim() === '') continue;
      break; // the text after the examples (exit codes, notes)
    }
    const example = classify(document, document, m[1]!, problems);
    if (!example) continue;
    if (!example.callsIotctl) problems.push(`${document}: an example that does not call iotctl: ${m[1]}`);
    examples.push(example);
  }
  return { examples, problems };
}
