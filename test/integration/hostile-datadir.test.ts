/**
 * `iotctl local start` with a data directory or an address it cannot use:
 * one line naming the path (or address) and the reason, a hint that works as
 * printed, the documented exit code, at once (never a spin, never "Internal error").
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, testEnv } from '../helpers/cli.js';
import { killLeftovers, spawnLocal } from '../helpers/spawned-local.js';

afterEach(killLeftovers);

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'iotctl-datadir-'));
const start = (args: string[], env = testEnv()) => spawnCli(['local', 'start', '--port', '0', '--mqtt-port', '0', '--ws-port', '0', '--https-port', '0', ...args], { env, timeoutMs: 15_000 });

/** One error line and one hint line, no stack, no "Internal error". */
function oneLine(stderr: string): { error: string; hint: string } {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(stderr).not.toMatch(/Internal error|    at /);
  return { error: lines[0]!, hint: lines[1]! };
}

describe('unusable data directories', () => {
  it('a path under /proc: exit 2 at once, naming the path and the reason', async () => {
    const r = await start(['--data-dir', '/proc/self/nope']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual({
      error: 'error: The data directory /proc/self/nope cannot be used: /proc/self does not allow creating directories in it.',
      hint: 'hint: pass --data-dir with a directory you can write to',
    });
  });

  it('a file, a path through a file, and a place without permission (EPERM): exit 2', async () => {
    const file = path.join(tmp(), 'a-file');
    writeFileSync(file, 'x');
    const cases: [string, string][] = [
      [file, `${file} is a file, not a directory`],
      [path.join(file, 'sub'), `${file} is a file, not a directory`],
      ['/sys/iotctl-nope', 'no permission to create /sys/iotctl-nope'],
    ];
    for (const [dir, reason] of cases) {
      const r = await start(['--data-dir', dir]);
      expect([dir, r.code]).toEqual([dir, 2]);
      expect(oneLine(r.stderr).error).toBe(`error: The data directory ${dir} cannot be used: ${reason}.`);
    }
  });

  it('a state.json of the wrong shape or not JSON names the file, and the reset it suggests works as printed', async () => {
    for (const [content, problem] of [
      ['{"format":1,"things":5}', 'has "things" that is not a list'],
      ['{"format":1,"certificates":[{"status":"ACTIVE"}]}', 'has an entry of "certificates" (number 1) without its "id"'],
      ['{"format":7}', 'has an unknown format (7); this iotctl reads format 1'],
      ['{oops', 'is not valid JSON'],
    ]) {
      const dir = tmp();
      writeFileSync(path.join(dir, 'state.json'), content);
      const env = testEnv();
      const r = await start(['--data-dir', dir], env);
      expect([content, r.code]).toEqual([content, 2]);
      const { error, hint } = oneLine(r.stderr);
      expect(error).toContain(`error: ${path.join(dir, 'state.json')} ${problem}`);
      expect(hint).toBe(`hint: move it away, or start over with: iotctl local reset --data-dir ${dir} --yes (it deletes the local state)`);

      const reset = await spawnCli(hint.replace(/^.*start over with: iotctl /, '').replace(/ \(it deletes.*$/, '').split(' '), { env });
      expect(reset.code).toBe(0);
      const again = await spawnLocal(['--data-dir', dir], env);
      await again.stop();
    }
  });

  it('a damaged secrets.json asks for reset --all', async () => {
    const dir = tmp();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'secrets.json'), '{"accessKeyId": 5}');
    const r = await start(['--data-dir', dir]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr).hint).toBe(`hint: move it away, or start over with: iotctl local reset --data-dir ${dir} --all --yes (it deletes all local state, the CA and the root key)`);
  });
});

describe('addresses it cannot listen on', () => {
  it('--host 10.1.2.3 (not an address of this machine): exit 5, the cause and the fix', async () => {
    const r = await start(['--ephemeral', '--host', '10.1.2.3']);
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toEqual({
      error: 'error: 10.1.2.3 is not an address of this machine, so the local IoT Core cannot listen on it.',
      hint: 'hint: pass --host 127.0.0.1 (the default), 0.0.0.0 for every interface, or an address that `ip addr` lists',
    });
  });

  it('a host name that does not resolve: exit 5', async () => {
    const r = await start(['--ephemeral', '--host', 'no-such-host.invalid']);
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr).error).toBe('error: The host name no-such-host.invalid does not resolve to an address of this machine.');
  });
});
