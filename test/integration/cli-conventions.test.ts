import { readFileSync, statSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, type CommandEntry } from '../../src/cli/command-table.js';
import { BIN, ROOT, runCli, spawnCli, testEnv } from '../helpers/cli.js';

const ANSI = /\u001b\[/;

describe('help and usage errors', () => {
  it('prints help with examples and exit codes on stdout', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: iotctl/);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stderr).toBe('');
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
  });

  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['config', 'list', '--bogus'], /unknown option '--bogus'/],
    [['config', 'get'], /missing required argument 'key'/],
    [['config', 'set', 'region'], /missing required argument 'value'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['config', 'get', 'region', 'extra'], /too many arguments/],
    [['--profile'], /argument missing/],
  ])('%j exits 2 with one error line and a hint, nothing on stdout', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(/^hint: run 'iotctl .*--help' for usage/);
  });

  it('suggests the closest option', async () => {
    const r = await runCli(['--jsn', 'config', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--json');
  });

  it('shows the group help on stderr and exits 2 when a verb is missing', async () => {
    const r = await runCli(['config']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: iotctl config');
  });

  const walk = (specs: CommandEntry[], prefix: string): string[] => specs.flatMap((s) => [`${prefix}${s.name}`, ...walk(s.verbs ?? [], `${prefix}${s.name} `)]);
  const allCommands = walk(COMMANDS, '');
  it.each(allCommands)('`iotctl %s --help` shows at least one example', async (command) => {
    const r = await runCli([...command.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}\$ iotctl /);
  });
});

describe('output policy', () => {
  it('--json config list prints exactly one JSON document and no ANSI, even when colour is forced', async () => {
    const env = testEnv({ FORCE_COLOR: '3' });
    await runCli(['config', 'set', 'region', 'eu-west-1'], { env });
    const r = await runCli(['--json', 'config', 'list'], { env, tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(ANSI);
    const doc = JSON.parse(r.stdout) as { profiles: Record<string, Record<string, string>> };
    expect(doc.profiles.default?.region).toBe('eu-west-1');
  });

  it('colours human output only on a TTY, and honours NO_COLOR, FORCE_COLOR and --no-color', async () => {
    const env = testEnv();
    expect((await runCli(['config', 'list'], { env, tty: true })).stdout).toMatch(ANSI);
    expect((await runCli(['config', 'list'], { env, tty: false })).stdout).not.toMatch(ANSI);
    expect((await runCli(['config', 'list'], { env: { ...env, NO_COLOR: '1' }, tty: true })).stdout).not.toMatch(ANSI);
    expect((await runCli(['--no-color', 'config', 'list'], { env, tty: true })).stdout).not.toMatch(ANSI);
    expect((await runCli(['config', 'list'], { env: { ...env, FORCE_COLOR: '1' }, tty: false })).stdout).toMatch(ANSI);
  });

  it('through a real pipe, no ANSI codes reach stdout', async () => {
    const r = await spawnCli(['config', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('config file:');
    expect(r.stdout).not.toMatch(ANSI);
  });

  it('a closed pipe ends the command quietly with exit 0', () => {
    const env = testEnv();
    const r = spawnSync('bash', ['-c', `set -o pipefail; node ${BIN} --help | head -n 1`], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: iotctl/);
    expect(r.stderr).toBe('');
  });
});

describe('errors', () => {
  it('a corrupt config file gives one clear line, a hint, exit 1 and no stack trace', async () => {
    const env = testEnv();
    writeFileSync(path.join(env.IOTCTL_CONFIG_DIR!, 'config.json'), '{ not json');
    const r = await runCli(['config', 'list'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: The config file .* is not valid JSON/);
    expect(r.stderr).toMatch(/hint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--debug adds the stack trace', async () => {
    const env = testEnv();
    writeFileSync(path.join(env.IOTCTL_CONFIG_DIR!, 'config.json'), '[]');
    const r = await runCli(['--debug', 'config', 'list'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('--json errors are one JSON line on stderr with the stable code', async () => {
    const r = await runCli(['--json', '--profile', 'nope', 'config', 'list']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    const err = JSON.parse(r.stderr) as { error: { code: string; exitCode: number; hint: string } };
    expect(err.error.code).toBe('PROFILE_NOT_FOUND');
    expect(err.error.exitCode).toBe(4);
  });

  it('a bad setting value is a usage error', async () => {
    const r = await runCli(['config', 'set', 'region', 'not a region']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Invalid value for region/);
    const unknown = await runCli(['config', 'set', 'colour', 'blue']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown setting "colour"/);
    expect(unknown.stderr).toMatch(/hint: known settings: region/);
  });
});

describe('configuration', () => {
  it('resolves defaults < file < environment < flags and says where each value came from', async () => {
    const env = testEnv();
    await runCli(['config', 'set', 'region', 'eu-west-1'], { env });
    const get = async (extraEnv: NodeJS.ProcessEnv, flags: string[] = []) =>
      JSON.parse((await runCli(['--json', ...flags, 'config', 'get', 'region'], { env: { ...env, ...extraEnv } })).stdout) as { value: string; source: string };
    expect(await get({})).toMatchObject({ value: 'eu-west-1', source: 'file' });
    expect(await get({ IOTCTL_REGION: 'ap-south-1' })).toMatchObject({ value: 'ap-south-1', source: 'env' });
    expect(await get({ IOTCTL_REGION: 'ap-south-1' }, ['--region', 'us-west-2'])).toMatchObject({ value: 'us-west-2', source: 'flag' });
  });

  it('keeps named profiles, switches between them, and selects with --profile or IOTCTL_PROFILE', async () => {
    const env = testEnv();
    expect((await runCli(['--profile', 'staging', 'config', 'set', 'region', 'eu-central-1'], { env })).code).toBe(0);
    expect((await runCli(['config', 'set', 'region', 'us-east-1'], { env })).code).toBe(0);
    expect((await runCli(['config', 'get', 'region'], { env })).stdout.trim()).toBe('us-east-1');
    expect((await runCli(['--profile', 'staging', 'config', 'get', 'region'], { env })).stdout.trim()).toBe('eu-central-1');
    expect((await runCli(['config', 'get', 'region'], { env: { ...env, IOTCTL_PROFILE: 'staging' } })).stdout.trim()).toBe('eu-central-1');
    expect((await runCli(['config', 'use', 'staging'], { env })).code).toBe(0);
    expect((await runCli(['config', 'get', 'region'], { env })).stdout.trim()).toBe('eu-central-1');
    expect((await runCli(['config', 'use', 'missing'], { env })).code).toBe(4);
    expect((await runCli(['config', 'unset', 'region'], { env })).code).toBe(0);
    expect((await runCli(['config', 'get', 'region'], { env })).code).toBe(4);
  });

  it('writes the config file atomically with mode 0600 under IOTCTL_CONFIG_DIR', async () => {
    const env = testEnv();
    await runCli(['config', 'set', 'secret-access-key', 'abc'], { env });
    const file = (await runCli(['config', 'path'], { env })).stdout.trim();
    expect(file).toBe(path.join(env.IOTCTL_CONFIG_DIR!, 'config.json'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(env.IOTCTL_CONFIG_DIR!)).toEqual(['config.json']);
    const list = await runCli(['config', 'list'], { env });
    expect(list.stdout).toContain('secret-access-key = ********');
    expect(list.stdout).not.toContain('abc');
    expect((await runCli(['config', 'list', '--show-secrets'], { env })).stdout).toContain('secret-access-key = abc');
  });

  it('makes the config directory private (0700) even under umask 000', () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-umask-')), 'config');
    const r = spawnSync('bash', ['-c', `umask 000 && "${process.execPath}" "${BIN}" config set region eu-west-1`], { env: testEnv({ IOTCTL_CONFIG_DIR: dir }) });
    expect(r.status, String(r.stderr)).toBe(0);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'config.json')).mode & 0o777).toBe(0o600);
  });

  it('uses the XDG config directory when IOTCTL_CONFIG_DIR is not set', async () => {
    const xdg = mkdtempSync(path.join(os.tmpdir(), 'iotctl-xdg-'));
    const env = testEnv({ XDG_CONFIG_HOME: xdg });
    delete env.IOTCTL_CONFIG_DIR;
    expect((await runCli(['config', 'path'], { env })).stdout.trim()).toBe(path.join(xdg, 'iotctl', 'config.json'));
  });
});

describe('startup stays light', () => {
  it('--help, pub --help and config list load neither the AWS SDK, aws-crt nor MQTT.js', () => {
    for (const argv of [['--help'], ['pub', '--help'], ['config', 'list']]) {
      const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-trace-')), 'imports.txt');
      writeFileSync(trace, '');
      const r = spawnSync(process.execPath, ['--import', path.join(ROOT, 'test/helpers/trace-imports.mjs'), BIN, ...argv], {
        env: testEnv({ IOTCTL_TRACE_IMPORTS: trace }),
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const loaded = readFileSync(trace, 'utf8');
      expect(loaded).toContain('dist/cli/main.js'); // the trace works
      expect(loaded).not.toMatch(/@aws-sdk|aws-crt|aws-iot-device-sdk|@smithy|aedes|node_modules\/mqtt\/|driver-(crt|js)\.js/);
    }
  });

  it("no command's module loads them either, so every `iotctl <command> --help` stays light", () => {
    const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-trace-')), 'imports.txt');
    writeFileSync(trace, '');
    // Every loader of the command table, in one process: what `<command> --help` loads before it prints.
    const script = `
      const { COMMANDS } = await import(${JSON.stringify(path.join(ROOT, 'dist/cli/command-table.js'))});
      const loaders = (entries) => entries.flatMap((e) => (e.verbs ? loaders(e.verbs) : [e.load]));
      for (const load of loaders(COMMANDS)) if (typeof (await load()).default.declare !== 'function') process.exit(3);`;
    const r = spawnSync(process.execPath, ['--import', path.join(ROOT, 'test/helpers/trace-imports.mjs'), '--input-type=module', '-e', script], {
      env: testEnv({ IOTCTL_TRACE_IMPORTS: trace }),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const loaded = readFileSync(trace, 'utf8');
    expect(loaded).toContain('dist/commands/provision.js'); // the trace works
    expect(loaded.match(/dist\/commands\/.*\.js/g)?.length).toBeGreaterThan(60);
    expect(loaded).not.toMatch(/@aws-sdk|aws-crt|aws-iot-device-sdk|@smithy|aedes|node_modules\/mqtt\/|driver-(crt|js)\.js/);
  });
});

describe('one vocabulary of option names', () => {
  /** Every command's --help, spawned as a user would. */
  const helps = async () => {
    const { COMMANDS } = await import('../../src/cli/command-table.js');
    const paths: string[][] = [];
    const walk = (specs: typeof COMMANDS, prefix: string[]) => {
      for (const s of specs) s.verbs ? walk(s.verbs, [...prefix, s.name]) : paths.push([...prefix, s.name]);
    };
    walk(COMMANDS, []);
    return Promise.all(paths.map(async (p) => ({ path: p.join(' '), help: (await runCli([...p, '--help'])).stdout })));
  };

  it('each name means one thing: --thing-type, --key-type, --root-ca, -o/--out, -n/--max, --principal, --account-id, -p only for --param', async () => {
    for (const { path, help } of await helps()) {
      expect(help, path).not.toMatch(/ --type </);
      expect(help, path).not.toMatch(/--output </);
      expect(help, path).not.toMatch(/--target </);
      expect(help, path).not.toMatch(/--account </);
      expect(help, path).not.toMatch(/-n, --lines/);
      expect(help, path).not.toMatch(/ca fetch .*--key </);
      const p = /-p, --(\w+)/.exec(help);
      if (p) expect(p[1], path).toBe('param');
    }
  });

  it('the old spellings still work, unlisted', async () => {
    const keygen = await runCli(['keygen', '--type', 'rsa', '--out', path.join(os.tmpdir(), `iotctl-alias-${process.pid}.key`), '--json']);
    expect(keygen.code, keygen.stderr).toBe(0);
    expect(JSON.parse(keygen.stdout)).toMatchObject({ keyType: 'RSA-2048' });
    const ca = await runCli(['ca', 'fetch', '--key', 'ec']);
    expect(ca.stdout).toContain('BEGIN CERTIFICATE');
    expect((await runCli(['ca', 'fetch', '--root-ca', 'ec'])).stdout).toBe(ca.stdout);
  });
});

describe('settings given on the command line or in the environment are checked', () => {
  it('a bad --region or IOTCTL_REGION is a usage error (exit 2) naming where it came from', async () => {
    const flag = await runCli(['--region', 'nowhere', 'thing', 'list']);
    expect([flag.code, flag.stderr]).toEqual([2, 'error: --region "nowhere" must look like an AWS region, e.g. us-east-1.\n']);
    const env = await runCli(['thing', 'list'], { env: testEnv({ IOTCTL_REGION: 'x' }) });
    expect([env.code, env.stderr]).toEqual([2, 'error: IOTCTL_REGION "x" must look like an AWS region, e.g. us-east-1.\n']);
  });
});
