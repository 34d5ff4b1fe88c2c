/**
 * Presigned URLs that claim to live longer than a SigV4 signing key does
 * (seven days) are refused as AWS refuses them, on the WebSocket listener and
 * on the control plane, before any signature is checked.
 */
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rawRequest } from '../helpers/emulator.js';
import { spawnLocal, type SpawnedLocal } from '../helpers/spawned-local.js';

let local: SpawnedLocal;
beforeAll(async () => {
  local = await spawnLocal(['--ephemeral']);
});
afterAll(() => local?.stop());

async function presign(service: string, port: number, path: string, protocol: string): Promise<string> {
  const signer = new SignatureV4({ service, region: local.ready.region, credentials: { accessKeyId: local.ready.accessKeyId, secretAccessKey: local.ready.secretAccessKey }, sha256: Sha256 });
  const signed = await signer.presign({ method: 'GET', protocol, hostname: '127.0.0.1', port, path, query: {}, headers: { host: `127.0.0.1:${port}` } }, { expiresIn: 604800 });
  return new URLSearchParams(signed.query as Record<string, string>).toString();
}

/** The WebSocket upgrade's answer: 101, or the refusal's status and JSON body. */
function upgrade(query: string): Promise<{ status: number; body?: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${local.wsPort}/mqtt?${query}`, 'mqtt', { ca: local.ca });
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101 });
    });
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, string> }));
    });
    ws.once('error', reject);
  });
}

const MESSAGE = 'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds';

describe('X-Amz-Expires', () => {
  it('WebSocket: 604800 s is accepted; 604801 s is refused with AuthorizationQueryParametersError (403)', async () => {
    const query = await presign('iotdevicegateway', local.wsPort, '/mqtt', 'wss:');
    expect(await upgrade(query)).toEqual({ status: 101 });
    const tooLong = await upgrade(query.replace('X-Amz-Expires=604800', 'X-Amz-Expires=604801'));
    expect(tooLong).toEqual({ status: 403, body: { __type: 'AuthorizationQueryParametersError', message: MESSAGE } });
  });

  it('control plane: a presigned GET with X-Amz-Expires above a week is refused the same way', async () => {
    const query = await presign('iot', local.httpPort, '/things', 'http:');
    expect((await rawRequest(local.ready.controlPlane, `/things?${query}`)).status).toBe(200);
    const res = await rawRequest(local.ready.controlPlane, `/things?${query.replace('X-Amz-Expires=604800', 'X-Amz-Expires=31536000')}`);
    expect([res.status, res.headers.get('x-amzn-errortype'), res.json?.message]).toEqual([403, 'AuthorizationQueryParametersError', MESSAGE]);
  });
});
