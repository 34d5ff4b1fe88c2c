/**
 * Debian's Chromium, headless, driven by playwright-core (no browser download):
 * a fresh profile per launch and the flags this machine's closed network needs.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.IOTCTL_CHROMIUM ?? '/usr/bin/chromium';
/** CI installs Chromium and sets IOTCTL_BROWSER_REQUIRED=1, so a missing browser fails there instead of skipping. */
export const browserAvailable = existsSync(CHROMIUM) || process.env.IOTCTL_BROWSER_REQUIRED === '1';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  page: Page;
  context: BrowserContext;
  /** What the page printed to its console and its uncaught errors, for failure messages. */
  console: string[];
  close(): Promise<void>;
}

/** `trustSpki`: base64 SHA-256 hashes of certificates' public keys whose TLS errors Chromium ignores (the local IoT Core's server certificate). */
export async function launchBrowser(options: { trustSpki?: string[] } = {}): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'iotctl-chromium-'));
  const args = [...FLAGS, ...(options.trustSpki?.length ? [`--ignore-certificate-errors-spki-list=${options.trustSpki.join(',')}`] : [])];
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args, timeout: 30_000 });
  const page = context.pages()[0] ?? (await context.newPage());
  const console: string[] = [];
  page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.push(`uncaught: ${e.message}`));
  return {
    page,
    context,
    console,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
