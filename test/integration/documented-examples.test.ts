/**
 * Every command example in README.md, docs/*.md and every `--help` Examples block runs as a user
 * would type it (bash, `iotctl` on PATH = bin/iotctl.js) and ends with its documented exit code.
 * The conventions are in README.md, "Writing docs".
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, type CommandEntry } from '../../src/cli/command-table.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { examplesFromHelp, examplesFromMarkdown, type Example, type Extraction } from '../helpers/doc-examples.js';
import { ExampleShell, type Outcome } from '../helpers/example-shell.js';
import { newSandbox, sandboxEnv, startWorld, unreachableAws, type World } from '../helpers/example-world.js';

/**
 * Examples that fail because of the CODE, not the doc (a doc that is wrong gets fixed instead).
 * Fix the code, then delete the entry: the test says when every example an entry matches passes.
 */
interface KnownFailure {
  /** Matches `<document>: <command>` (the command as written, placeholders unfilled). */
  example: RegExp;
  reason: string;
}
const KNOWN_FAILURES: KnownFailure[] = [];

interface Document {
  name: string;
  /** README.md starts from nothing; the other pages and --help assume the README's quick start. */
  world: boolean;
  extraction: Extraction;
}

function markdownDocuments(): Document[] {
  const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return files.map((name) => ({ name, world: name !== 'README.md', extraction: examplesFromMarkdown(name, readFileSync(path.join(ROOT, name), 'utf8')) }));
}

async function helpDocuments(): Promise<Document[]> {
  const paths = (specs: CommandEntry[], prefix: string[]): string[][] => specs.flatMap((s) => [[...prefix, s.name], ...paths(s.verbs ?? [], [...prefix, s.name])]);
  const docs: Document[] = [];
  for (const words of [[], ...paths(COMMANDS, [])]) {
    const help = await runCli([...words, '--help']);
    const extraction = examplesFromHelp(words.join(' '), help.stdout);
    docs.push({ name: `iotctl ${words.length ? words.join(' ') + ' ' : ''}--help`, world: true, extraction });
  }
  return docs;
}

const documents = [...markdownDocuments(), ...(await helpDocuments())];
const HAVE_JQ = spawnSync('jq', ['--version']).status === 0;

/** `iotctl local start` gets free ports, so documents can run side by side (and beside other tests). */
function withFreePorts(command: string): string {
  return command.replace(/\blocal start\b/g, (m) => {
    const missing = ['--port', '--mqtt-port', '--ws-port', '--https-port', '--web-port'].filter((flag) => !new RegExp(`${flag}[ =]`).test(command));
    return [m, ...missing.map((flag) => `${flag} 0`)].join(' ');
  });
}

function fill(example: Example, world: World | undefined): { command: string; unresolved: string[] } {
  let command = example.command;
  const unresolved: string[] = [];
  for (const placeholder of example.placeholders) {
    const value = world?.placeholders[placeholder];
    if (value === undefined) unresolved.push(placeholder);
    else command = command.split(placeholder).join(value);
  }
  return { command: withFreePorts(command), unresolved };
}

const keyOf = (e: Example) => `${e.document}: ${e.command}`;
const knownFailure = (e: Example) => KNOWN_FAILURES.find((k) => k.example.test(keyOf(e)));

/** The exit status a shell would show: 128 + the signal number for a killed process. */
function status(o: Outcome): number | undefined {
  if (o.code !== null) return o.code;
  if (o.signal) return 128 + (({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 }) as Record<string, number>)[o.signal]!;
  return undefined;
}

/** Why an outcome does not match its documentation, or undefined when it does. */
function mismatch(o: Outcome): string | undefined {
  if (o.failure) return o.failure;
  const code = status(o);
  if (o.example.mode === 'aws') return code === 2 ? 'a usage error (exit 2) where the example needs only AWS' : undefined;
  return code === o.example.exit ? undefined : `exit ${code}, documented ${o.example.exit}`;
}

function describeOutcome(o: Outcome, why: string): string {
  const tail = (s: string) => s.trim().split('\n').slice(-6).map((l) => `      ${l}`).join('\n');
  return [`  ${o.example.where}: ${o.command}`, `    ${why} (${o.ms} ms)`, o.stdout.trim() && `    stdout:\n${tail(o.stdout)}`, o.stderr.trim() && `    stderr:\n${tail(o.stderr)}`].filter(Boolean).join('\n');
}

/** Documents run side by side, a few at a time: each spawns processes, and the machine has 2 cores. */
const DOCUMENTS_AT_ONCE = 3;
let running = 0;
const waiting: Array<() => void> = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running < DOCUMENTS_AT_ONCE) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve)); // the slot is handed over, still counted
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** Known failures seen failing, and seen passing, across all documents. */
const stillFailing = new Set<KnownFailure>();
const nowPassing = new Set<KnownFailure>();

async function runDocument(doc: Document): Promise<string[]> {
  const root = newSandbox(doc.name);
  const env = sandboxEnv(root);
  const examples = doc.extraction.examples;
  const cognito = examples.some((e) => e.placeholders.some((p) => /pool|identity/.test(p)));
  let world: World | undefined;
  const shell = new ExampleShell({
    root,
    env,
    awsEnv: await unreachableAws(),
    connections: () => world?.emulator.testHooks.connectionCount() ?? 0,
  });
  const report: string[] = [];
  const judge = (o: Outcome) => {
    const why = mismatch(o);
    const known = knownFailure(o.example);
    if (why && !known) report.push(describeOutcome(o, why));
    if (known) (why ? stillFailing : nowPassing).add(known);
  };
  try {
    if (doc.world) world = await startWorld(env, shell.cwd, { cognito });
    for (const example of examples) {
      const { command, unresolved } = fill(example, world);
      if (unresolved.length) {
        report.push(`  ${example.where}: ${example.command}\n    unresolved placeholder ${unresolved.join(', ')}: write the doc so a user can paste it (a shell variable from an earlier example)`);
        continue;
      }
      const outcome = await shell.run(example, command);
      if (outcome) judge(outcome);
    }
    for (const outcome of await shell.stopBackground()) judge(outcome);
  } finally {
    shell.killAll();
    await world?.close();
    if (report.length === 0) rmSync(root, { recursive: true, force: true });
  }
  return report.length ? [`${doc.name} (sandbox ${root}):`, ...report] : [];
}

describe('documented examples', () => {
  it('every example in the docs and in --help can be classified', () => {
    const problems = documents.flatMap((d) => d.extraction.problems);
    expect(problems, problems.join('\n')).toEqual([]);
    expect(documents.flatMap((d) => d.extraction.examples).filter((e) => e.callsIotctl).length).toBeGreaterThan(100);
  });

  it('every KNOWN_FAILURES entry matches an example', () => {
    const keys = documents.flatMap((d) => d.extraction.examples.map(keyOf));
    expect(KNOWN_FAILURES.filter((k) => !keys.some((key) => k.example.test(key))).map((k) => k.reason)).toEqual([]);
  });

  for (const doc of documents.filter((d) => d.extraction.examples.length > 0)) {
    // jq is a Debian package (.ci/run installs it); without it, documents that pipe into jq cannot run as written.
    const needsJq = doc.extraction.examples.some((e) => /\|\s*jq\b/.test(e.command));
    it.skipIf(needsJq && !HAVE_JQ).concurrent(`${doc.name} runs as documented`, { timeout: 240_000 }, async () => {
      const report = await slot(() => runDocument(doc));
      expect(report, report.join('\n')).toEqual([]);
    });
  }

  // Last (the documents run concurrently before it): an entry whose examples all pass is stale.
  it('every KNOWN_FAILURES entry still fails somewhere', () => {
    const stale = KNOWN_FAILURES.filter((k) => nowPassing.has(k) && !stillFailing.has(k)).map((k) => `passes now, delete its entry: ${k.reason}`);
    expect(stale, stale.join('\n')).toEqual([]);
  });
});
