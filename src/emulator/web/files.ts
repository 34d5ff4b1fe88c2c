/**
 * The web app's files, read from one folder (the template, or the user's own
 * copy): a request path maps to a file inside that folder or to nothing. No
 * `..`, no dotfiles, no symbolic link that leads outside the folder.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The app shipped with iotctl (src/emulator/web and dist/emulator/web are both three levels below the package). */
export const TEMPLATE_APP_DIR = fileURLToPath(new URL('../../../templates/web/', import.meta.url));
/** Where the page imports MQTT.js from; served from iotctl's own copy unless the folder has one. */
export const VENDOR_MQTT_PATH = '/vendor/mqtt.esm.js';
/** MQTT.js's browser build (an ES module), from the mqtt package iotctl depends on. */
export const vendorMqttFile = () => createRequire(import.meta.url).resolve('mqtt/dist/mqtt.esm');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Pages and scripts are edited while the server runs: never cached. */
const FILE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export interface WebFile {
  body: Buffer;
  headers: Record<string, string>;
}

export const contentTypeOf = (file: string) => CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** The file's answer: its bytes with a content type. */
export async function fileResponse(file: string): Promise<WebFile> {
  return { body: await fs.readFile(file), headers: { ...FILE_HEADERS, 'content-type': contentTypeOf(file) } };
}

/** The path (still percent-encoded, without the query) as folder-relative segments, or undefined for one that may not be served. */
export function safeSegments(rawPath: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return undefined;
  return segments;
}

/** The file a request path names inside `root` (index.html for a folder), or undefined. */
export async function findFile(root: string, rawPath: string): Promise<string | undefined> {
  const segments = safeSegments(rawPath);
  if (!segments) return undefined;
  let realRoot: string;
  try {
    realRoot = await fs.realpath(root);
  } catch {
    return undefined;
  }
  let candidate = path.join(realRoot, ...segments);
  try {
    let real = await fs.realpath(candidate);
    if ((await fs.stat(real)).isDirectory()) real = await fs.realpath(path.join(real, 'index.html'));
    candidate = real;
    if (candidate !== realRoot && !candidate.startsWith(realRoot + path.sep)) return undefined;
    return (await fs.stat(candidate)).isFile() ? candidate : undefined;
  } catch {
    return undefined;
  }
}
