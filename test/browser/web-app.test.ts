/**
 * The web app in a real browser: Debian's Chromium, headless, against a local
 * IoT Core this test starts as a user does (`iotctl local start --web`, its
 * own process). The page connects as a guest, shows a message `iotctl pub`
 * sent, shows the broker's refusal of a subscription, signs a user in, and
 * sets the lamp's desired state through its shadow (`iotctl shadow get` shows it). Every call the page makes
 * to another origin (Cognito Identity on the control plane, the HTTPS data
 * plane) goes through a real CORS preflight. A screenshot of the page is
 * written to a temporary folder, and its path printed when a test fails.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { browserAvailable, launchBrowser, type Browser } from '../helpers/browser.js';
import { killLeftovers, spawnLocal, type SpawnedLocal } from '../helpers/spawned-local.js';

let local: SpawnedLocal;
let browser: Browser;
let web: string;
const shots = mkdtempSync(path.join(os.tmpdir(), 'iotctl-web-screenshots-'));
const iotctl = (argv: string[], timeoutMs?: number) => spawnCli(['--profile', 'local', ...argv], { env: local.env, timeoutMs });

/** The base64 SHA-256 of the server certificate's public key, for --ignore-certificate-errors-spki-list. */
function serverSpki(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cert = new X509Certificate(socket.getPeerCertificate().raw);
      socket.destroy();
      resolve(createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64'));
    });
    socket.on('error', reject);
  });
}

async function screenshot(name: string): Promise<string> {
  const file = path.join(shots, `${name.replace(/[^\w-]+/g, '-').slice(0, 80)}.png`);
  await browser.page.screenshot({ path: file, fullPage: true });
  return file;
}

/** On failure: where the screenshot is, and what the page logged. */
function explainFailure(name: string): void {
  onTestFailed(async () => {
    const file = await screenshot(`failed-${name}`).catch((err: Error) => `(no screenshot: ${err.message})`);
    console.error(`screenshot of the page: ${file}\npage log:\n${await browser.page.locator('#log').innerText().catch(() => '?')}\nconsole:\n${browser.console.join('\n')}`);
  });
}

const status = () => browser.page.locator('#status');
const row = (filter: string) => browser.page.locator(`#subscription-rows tr[data-filter="${filter}"]`);

describe.skipIf(!browserAvailable)('the web app in Chromium', () => {
  beforeAll(async () => {
    local = await spawnLocal(['--ephemeral', '--web', '--web-port', '0']);
    web = (local.ready as typeof local.ready & { web: string }).web;
    browser = await launchBrowser({ trustSpki: [await serverSpki(local.httpsPort)] });
  });
  afterAll(async () => {
    await browser?.close();
    await local?.stop();
    await killLeftovers();
  });
  afterEach(async () => {
    await screenshot(expect.getState().currentTestName ?? 'page');
  });

  it('connects as a guest over a SigV4 WebSocket, and shows the broker refusing the lamp topics to guests', async () => {
    explainFailure('guest');
    await browser.page.goto(web);
    await expect.poll(() => status().getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
    expect(await status().textContent()).toMatch(/^connected as us-east-1:[0-9a-f-]{36}-web-[0-9a-f]{4} \(guest\)$/);
    await row('public/#').and(browser.page.locator('[data-result=granted]')).waitFor();
    const refused = row('$aws/things/lamp-1/shadow/update/documents');
    await refused.and(browser.page.locator('[data-result=denied]')).waitFor();
    expect(await refused.innerText()).toMatch(/denied: 0x87 Not authorized/);
    expect(await browser.page.locator('#lamp-on').isDisabled()).toBe(true);
  });

  it('shows a message that iotctl pub sent', async () => {
    explainFailure('message');
    const pub = await iotctl(['pub', 'public/sensors/sensor-1', '{"celsius":21.5}', '--auth', 'sigv4']);
    expect(pub.code, pub.stderr).toBe(0);
    await browser.page.locator('#messages li', { hasText: 'public/sensors/sensor-1 {"celsius":21.5}' }).waitFor({ timeout: 10_000 });
  });

  it('reads the HTTPS data plane across origins with SigV4 (a real preflight): the refusal is readable, not a CORS error', async () => {
    explainFailure('cors');
    const https = `https://127.0.0.1:${local.httpsPort}`;
    // A string, not a function: vitest would rewrite the function's import() calls for Node.
    const answer = (await browser.page.evaluate(`(async () => {
      const { default: config } = await import('/config.js');
      const { identityCredentials } = await import('/aws.js');
      const { signRequest } = await import('/sigv4.js');
      const credentials = await identityCredentials(config);
      const url = '${https}/retainedMessage/public%2Fsensors%2Fsensor-1';
      const headers = await signRequest({ method: 'GET', url, region: config.region, service: 'iotdata', credentials });
      const res = await fetch(url, { headers });
      return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: await res.json() };
    })()`)) as { status: number; type: string; body: { message: string } };
    // A guest has no iot:GetRetainedMessage: the browser got past the preflight and reads AWS's refusal.
    expect(answer.status).toBe(403);
    expect(answer.type).toBe('ForbiddenException');
    expect(answer.body.message).toMatch(/^Forbidden: no statement of the unauthenticated identity's role .*iotctl-web-unauth allows it/);
  });

  it('signs a user in (the local user pool), registers them, and reconnects as that user', async () => {
    explainFailure('sign-in');
    await browser.page.fill('#signin input[name=username]', 'alice');
    await browser.page.fill('#signin input[name=password]', 'any password');
    await browser.page.click('#signin button[type=submit]');
    await expect.poll(() => status().textContent(), { timeout: 15_000 }).toMatch(/^connected as .* \(alice\)$/);
    await row('$aws/things/lamp-1/shadow/update/documents').and(browser.page.locator('[data-result=granted]')).waitFor();
    expect(await browser.page.locator('#log').innerText()).toMatch(/registered us-east-1:[0-9a-f-]{36}: attached iotctl-web-user/);
  });

  it("sets the lamp's desired state through its shadow, which iotctl shadow get then shows; the lamp's report shows on the page", async () => {
    explainFailure('lamp');
    await browser.page.click('#lamp-on');
    await browser.page.locator('#lamp-result', { hasText: 'desired on: accepted by the broker' }).waitFor();
    // The shadow service's update/documents reaches the page.
    await expect.poll(() => browser.page.locator('#lamp-desired').textContent(), { timeout: 10_000 }).toBe('on');
    const get = await iotctl(['shadow', 'get', 'lamp-1', '--auth', 'sigv4', '--json']);
    expect(get.code, get.stderr).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ state: { desired: { light: 'on' }, delta: { light: 'on' } } });
    // The lamp (here: iotctl with the root key) reports; the page shows it.
    const report = await iotctl(['shadow', 'update', 'lamp-1', '--auth', 'sigv4', '--reported', '{"light": "on"}']);
    expect(report.code, report.stderr).toBe(0);
    await expect.poll(() => browser.page.locator('#lamp-reported').textContent(), { timeout: 10_000 }).toBe('on');
    // A stale update over MQTT: the service answers on update/rejected, which the page shows.
    const stale = await iotctl(['shadow', 'update', 'lamp-1', '--auth', 'sigv4', '--mqtt', '--desired', '{"light": "off"}', '--version', '1']);
    expect(stale.code, stale.stderr).toBe(1);
    await browser.page.locator('#lamp-result', { hasText: 'the shadow refused the update: 409 Version conflict' }).waitFor({ timeout: 10_000 });
  });

  it('shows a subscription the policy refuses as refused, with the broker\'s code', async () => {
    explainFailure('denied');
    await browser.page.fill('#subscribe input[name=filter]', 'private/#');
    await browser.page.click('#subscribe button[type=submit]');
    await row('private/#').and(browser.page.locator('[data-result=denied]')).waitFor();
    expect(await row('private/#').innerText()).toMatch(/denied: 0x87 Not authorized/);
  });
});
