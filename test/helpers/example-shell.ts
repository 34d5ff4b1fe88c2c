/**
 * Runs documented examples as a user types them: each one in `bash -o pipefail`, with an `iotctl`
 * on PATH that runs bin/iotctl.js, in one working directory per document. Shell variables and the
 * current directory carry over from one example to the next, as in one terminal session.
 * Every process gets its own process group, so Ctrl-C (SIGINT to the group) and the hang guard
 * reach pipelines and their children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN } from './cli.js';
import type { Example } from './doc-examples.js';

export interface Outcome {
  example: Example;
  /** The command as run (placeholders filled). */
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Set when the hang guard had to kill it, or when it never showed it was running. */
  failure?: string;
}

export interface ShellOptions {
  /** The sandbox: the working directory and the state file live under it. */
  root: string;
  /** The environment every example starts from (PATH gets the shims in front). */
  env: NodeJS.ProcessEnv;
  /** Environment for `needs AWS` examples: credentials and an endpoint that refuses connections. */
  awsEnv: NodeJS.ProcessEnv;
  /** MQTT connections open on the document's local IoT Core, if the test runs one. */
  connections?: () => number;
  /** A running command shows it is running by output or a new MQTT connection; else after this long. */
  settleMs?: number;
  /** Hang guard for one example. */
  timeoutMs?: number;
}

const STATE = '.example-state.sh';

/** `iotctl` and `npx iotctl` on PATH run this checkout's bin/iotctl.js; npx runs nothing else. */
function writeShims(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const shim = (name: string, body: string) => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  shim('iotctl', `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"`);
  shim('npx', `if [ "$1" = iotctl ]; then shift; exec iotctl "$@"; fi\necho "npx: the docs test runs only 'npx iotctl'" >&2\nexit 127`);
}

export class ExampleShell {
  readonly cwd: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly background: Array<{ example: Example; command: string; child: ChildProcess; done: Promise<Outcome> }> = [];
  /** Every process group started: `a & b` inside one example can leave `a` running after its shell exits. */
  private readonly groups = new Set<number>();

  constructor(private readonly options: ShellOptions) {
    this.cwd = path.join(options.root, 'work');
    mkdirSync(this.cwd, { recursive: true });
    const shims = path.join(options.root, 'bin');
    writeShims(shims);
    this.env = { ...options.env, PATH: `${shims}:${options.env.PATH ?? '/usr/bin:/bin'}`, IOTCTL_EXAMPLE_STATE: path.join(options.root, STATE) };
    writeFileSync(path.join(options.root, STATE), `cd ${JSON.stringify(this.cwd)}\n`);
  }

  /** The bash script for one example: restore the session, run, save the session. */
  private script(command: string, save: boolean): string {
    return [
      'set -a -o pipefail',
      '. "$IOTCTL_EXAMPLE_STATE"',
      command,
      ...(save ? ['__status=$?', '{ export -p; printf "cd %q\\n" "$PWD"; } > "$IOTCTL_EXAMPLE_STATE"', 'exit $__status'] : []),
    ].join('\n');
  }

  private start(example: Example, command: string, extraEnv: NodeJS.ProcessEnv = {}) {
    const save = example.mode !== 'background' && example.mode !== 'aws';
    const child = spawn('bash', ['-c', this.script(command, save)], {
      cwd: this.cwd,
      env: { ...this.env, ...extraEnv },
      detached: true, // its own process group: SIGINT reaches the whole pipeline, as Ctrl-C does
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) this.groups.add(child.pid);
    const started = Date.now();
    const out = { stdout: '', stderr: '' };
    const output = new Set<() => void>();
    child.stdout!.setEncoding('utf8').on('data', (d: string) => ((out.stdout += d), output.forEach((f) => f())));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => ((out.stderr += d), output.forEach((f) => f())));
    const done = new Promise<Outcome>((resolve) => {
      child.on('exit', (code, signal) => {
        // Background jobs of the example may hold the pipes: take what is there once they close or soon after.
        const finish = () => resolve({ example, command, code, signal, ...out, ms: Date.now() - started });
        const grace = setTimeout(finish, 500);
        child.on('close', () => (clearTimeout(grace), finish()));
      });
    });
    return { child, done, out, output, started };
  }

  private signalGroup(child: ChildProcess | number, signal: NodeJS.Signals): void {
    try {
      process.kill(-(typeof child === 'number' ? child : child.pid!), signal);
    } catch {
      /* already gone */
    }
  }

  /** Resolves once the command shows it is running: output, a new MQTT connection, or settleMs without exiting. */
  private async running(run: ReturnType<ExampleShell['start']>, baseline: number): Promise<'running' | 'exited'> {
    const settleMs = this.options.settleMs ?? 2000;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let poll: NodeJS.Timeout | undefined;
      const settle = (state: 'running' | 'exited') => {
        clearTimeout(timer);
        clearInterval(poll);
        run.output.delete(onOutput);
        resolve(state);
      };
      const onOutput = () => settle('running');
      run.output.add(onOutput);
      if (run.out.stdout || run.out.stderr) return settle('running');
      void run.done.then(() => settle('exited'));
      // The connection count has no event; a command with no output (sub, tail) shows up here.
      if (this.options.connections) poll = setInterval(() => this.options.connections!() > baseline && settle('running'), 50);
      timer = setTimeout(() => settle('running'), settleMs);
    });
  }

  /**
   * Runs one example to its end (or, for `until Ctrl-C`, until it runs and is interrupted).
   * A background example is only started (undefined): its outcome comes from stopBackground().
   */
  async run(example: Example, command: string): Promise<Outcome | undefined> {
    if (example.mode === 'background') return this.startBackground(example, command);
    const timeoutMs = this.options.timeoutMs ?? 40_000;
    const baseline = this.options.connections?.() ?? 0;
    const run = this.start(example, command, example.mode === 'aws' ? this.options.awsEnv : {});
    let failure: string | undefined;
    const guard = setTimeout(() => {
      failure = `still running after ${timeoutMs} ms (hang guard): killed`;
      this.signalGroup(run.child, 'SIGKILL');
    }, timeoutMs);
    if (example.mode === 'interrupt') {
      const state = await this.running(run, baseline);
      if (state === 'exited') failure = 'ended before it was interrupted';
      else this.signalGroup(run.child, 'SIGINT');
    }
    const outcome = await run.done;
    clearTimeout(guard);
    return { ...outcome, failure: failure ?? outcome.failure };
  }

  /** Starts a background example and waits until it runs (as a user would before typing the next command). */
  private async startBackground(example: Example, command: string): Promise<undefined> {
    const baseline = this.options.connections?.() ?? 0;
    const run = this.start(example, command);
    this.background.push({ example, command, child: run.child, done: run.done });
    await this.running(run, baseline);
    return undefined;
  }

  /**
   * Ctrl-C to every background command still running (newest first), and the outcomes of all of
   * them: one that ended by itself (`sub --count 1 ... &`) is judged by the exit code it ended with.
   */
  async stopBackground(): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const entry of [...this.background].reverse()) {
      if (entry.child.exitCode !== null || entry.child.signalCode !== null) {
        outcomes.push(await entry.done);
        continue;
      }
      this.signalGroup(entry.child, 'SIGINT');
      const guard = setTimeout(() => this.signalGroup(entry.child, 'SIGKILL'), 10_000);
      const outcome = await entry.done;
      clearTimeout(guard);
      outcomes.push(outcome.signal === 'SIGKILL' ? { ...outcome, failure: 'did not stop within 10 s of Ctrl-C: killed' } : outcome);
    }
    this.background.length = 0;
    return outcomes;
  }

  /** Kills whatever any example left running. */
  killAll(): void {
    for (const group of this.groups) this.signalGroup(group, 'SIGKILL');
    this.groups.clear();
  }
}
