/**
 * `iotctl local start --web` as a user runs it: the ready line names the page
 * and its identity pool, the app's world survives a restart (the same pool,
 * the users' registrations), and bad --web flags stop it before anything starts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

    // The web app's pool is the local profile's: --auth cognito needs no --identity-pool-id.
    const signed = await spawnCli(['--profile', 'local', 'sign-url', '--auth', 'cognito', '--json'], { env });
    expect(signed.code, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout).identityId).toMatch(/^us-east-1:/);
    expect((await spawnCli(['--profile', 'local', 'config', 'get', 'identity-pool-id'], { env })).stdout.trim()).toBe(ready.identityPoolId);

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

  it('iotctl web init copies the app and MQTT.js into a folder that local start --web-dir serves; a second init refuses to overwrite', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-web-init-')), 'my-app');
    const init = await spawnCli(['web', 'init', dir, '--json']);
    expect(init.code, init.stderr).toBe(0);
    expect((JSON.parse(init.stdout) as { files: string[] }).files).toEqual(['app.js', 'aws.js', 'config.js', 'index.html', 'reason-codes.js', 'sigv4.js', 'style.css', 'vendor/mqtt.esm.js']);
    writeFileSync(path.join(dir, 'index.html'), readFileSync(path.join(dir, 'index.html'), 'utf8').replace('<h1>Lamp and sensor</h1>', '<h1>My own page</h1>'));
    const again = await spawnCli(['web', 'init', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has app\.js, .*; refusing to overwrite/);
    const local = await spawnLocal(['--ephemeral', '--web-dir', dir, '--web-port', '0']);
    const url = (local.ready as typeof local.ready & { web: string }).web;
    expect(await (await fetch(url)).text()).toMatch(/<h1>My own page<\/h1>/);
    expect(await (await fetch(`${url}vendor/mqtt.esm.js`)).text()).toBe(readFileSync(path.join(dir, 'vendor', 'mqtt.esm.js'), 'utf8'));
    // Its /config.js is the local IoT Core's; the folder's own config.js (AWS placeholders) is what other hosts serve.
    expect(await (await fetch(`${url}config.js`)).text()).toMatch(/"identityPoolId": "us-east-1:[0-9a-f-]{36}"/);
    expect(readFileSync(path.join(dir, 'config.js'), 'utf8')).toMatch(/xxxxxxxxxxxxxx-ats\.iot\.us-east-1\.amazonaws\.com/);
    await local.stop();
    expect((await spawnCli(['web', 'init', dir, '--force'])).code).toBe(0);
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toMatch(/<h1>Lamp and sensor<\/h1>/);
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
