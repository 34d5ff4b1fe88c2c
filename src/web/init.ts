/**
 * A copy of the web app to make your own: the template's files and MQTT.js's
 * browser build (vendor/mqtt.esm.js), so the folder runs as it is from any
 * static host, and from `iotctl local start --web-dir <folder>`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { usageError } from '../core/errors.js';
import { TEMPLATE_APP_DIR, VENDOR_MQTT_PATH, vendorMqttFile } from '../emulator/web/files.js';

export interface CopiedApp {
  dir: string;
  /** Relative paths, sorted. */
  files: string[];
}

async function templateFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await templateFiles(path.join(dir, entry.name), rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Copies the app into `dir` (made if missing). An existing file is never replaced unless `force`. */
export async function copyWebApp(dir: string, options: { force?: boolean } = {}): Promise<CopiedApp> {
  const target = path.resolve(dir);
  const sources = new Map((await templateFiles(TEMPLATE_APP_DIR)).map((rel) => [rel, path.join(TEMPLATE_APP_DIR, rel)]));
  sources.set(VENDOR_MQTT_PATH.slice(1), vendorMqttFile());
  const files = [...sources.keys()].sort();
  if (!options.force) {
    const clashes = (await Promise.all(files.map(async (rel) => ((await fs.stat(path.join(target, rel)).catch(() => undefined)) ? rel : undefined)))).filter(Boolean);
    if (clashes.length > 0) throw usageError('FILE_EXISTS', `${target} already has ${clashes.join(', ')}; refusing to overwrite.`, 'pick a new folder, or pass --force to replace those files');
  }
  for (const rel of files) {
    await fs.mkdir(path.dirname(path.join(target, rel)), { recursive: true });
    await fs.copyFile(sources.get(rel)!, path.join(target, rel));
  }
  return { dir: target, files };
}
