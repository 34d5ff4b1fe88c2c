/**
 * Reads a request body under a size cap. An oversized body is drained rather
 * than cut off (up to a hard limit), so the client can read our 413 instead of
 * seeing its upload reset.
 */
import type { IncomingMessage } from 'node:http';
import { ServiceError } from '../errors.js';

/** Past this, the connection is dropped instead of drained. */
const DRAIN_FACTOR = 16;

export function tooLarge(max: number): ServiceError {
  return new ServiceError('RequestEntityTooLargeException', `Request body exceeds the limit of ${max} bytes.`, {}, 413);
}

export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared === 0 || (req.method === 'GET' && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)) {
    req.resume();
    return Promise.resolve(Buffer.alloc(0));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = declared > max;
    if (declared > max * DRAIN_FACTOR) {
      reject(Object.assign(tooLarge(max), { closeConnection: true }));
      req.resume();
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) overflow = true;
      if (size > max * DRAIN_FACTOR) {
        reject(Object.assign(tooLarge(max), { closeConnection: true }));
        req.destroy();
        return;
      }
      if (!overflow) chunks.push(chunk);
    });
    req.on('end', () => (overflow ? reject(tooLarge(max)) : resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('client aborted the request')));
  });
}
