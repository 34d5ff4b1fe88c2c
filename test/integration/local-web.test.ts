/**
 * `iotctl local start --web` as a user runs it: the ready line names the page
 * and its identity pool, the app's world survives a restart (the same pool,
 * the users' registrations), and bad --web flags stop it before anything starts.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListAttachedPoliciesCommand } from '@aws-sdk/client-iot';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, testEnv } from '../helpers/cli.js';
import { killLeftovers, spawnLocal } from '../helpers/spawned-local.js';

afterEach(() => killLeftovers());

describe('iotctl local start --web', () => {
  it('prints the page and its pool, and keeps both across a restart, with the users who registered', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-web-data-'));
    const env = testEnv();
    const first = await spawnLocal(['--data-dir', dataDir, '--web', '--web-port', '0'], env);
    const ready = first.ready as typeof first.ready & { web: string; identityPoolId: string };
    expect(ready.web).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(ready.identityPoolId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    const page = await fetch(ready.web);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<title>Lamp and sensor/);

    // A user registers the way the page does (iotctl cognito register stands in for the page's call here).
    const who = await spawnCli(['--profile', 'local', '--json', 'cognito', 'credentials', '--identity-pool-id', ready.identityPoolId, '--login', 'local=alice'], { env });
    const identityId = (JSON.parse(who.stdout) as { identityId: string }).identityId;
    const reg = await spawnCli(['--profile', 'local', 'cognito', 'register', '--identity-id', identityId, '--policy', 'iotctl-web-user'], { env });
    expect(reg.code, reg.stderr).toBe(0);
    await first.stop();

    const second = await spawnLocal(['--data-dir', dataDir, '--web', '--web-port', '0'], env);
    expect((second.ready as typeof ready).identityPoolId).toBe(ready.identityPoolId);
    const attached = await second.iot.send(new ListAttachedPoliciesCommand({ target: identityId }));
    expect(attached.policies?.map((p) => p.policyName)).toEqual(['iotctl-web-user']);
    await second.stop();
  });

  it('without --web there is no web port and nothing of the app is made', async () => {
    const local = await spawnLocal(['--ephemeral']);
    expect(local.ready).not.toHaveProperty('web');
    const things = await spawnCli(['--profile', 'local', '--json', 'thing', 'list'], { env: local.env });
    expect(things.stdout).not.toMatch(/lamp-1/);
    await local.stop();
  });

  it.each([
    [['--web-dir', os.tmpdir()], 2, /--web-dir .* has no index.html/],
    [['--web', '--web-port', 'http'], 2, /--web-port must be a port number/],
  ])('%j: exit %i with one line, nothing started', async (args, code, message) => {
    const r = await spawnCli(['local', 'start', '--ephemeral', '--port', '0', '--mqtt-port', '0', '--ws-port', '0', '--https-port', '0', ...args], { timeoutMs: 10_000 });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
