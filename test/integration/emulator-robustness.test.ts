/** Bad input never crashes or hangs the server: every case gets an AWS-style 4xx, and the next request is served. */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateThingCommand, DescribeThingCommand, ListThingsCommand } from '@aws-sdk/client-iot';
import { rawRequest, signedRequest, startEmulator, type TestEmulator } from '../helpers/emulator.js';

let t: TestEmulator;
beforeAll(async () => {
  t = await startEmulator({ limits: { maxBodyBytes: 64 * 1024, headersTimeoutMs: 400, requestTimeoutMs: 800 } });
});
afterAll(() => t.close());

/** The server still answers a signed request. */
async function stillServing(): Promise<void> {
  const out = await t.iot.send(new ListThingsCommand({ maxResults: 1 }));
  expect(out.$metadata.httpStatusCode).toBe(200);
}

/** Writes raw bytes on a socket and collects whatever comes back until the server closes it. */
function rawExchange(chunks: (string | Buffer)[], options: { gapMs?: number; endAfter?: boolean } = {}): Promise<string> {
  const url = new URL(t.endpoint);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d));
    socket.on('close', () => resolve(received));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(received) : reject(err)));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
      if (options.endAfter) socket.end();
    });
  });
}

const signedPost = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  signedRequest(t.endpoint, { method: 'POST', path, credentials: t.emulator.credentials, headers, body });

describe('malformed requests', () => {
  it('malformed JSON: InvalidRequestException (400)', async () => {
    const res = await signedPost('/things/bad-json', '{"attributePayload": ');
    expect([res.status, res.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidRequestException']);
    expect(res.json?.message).toBe('The request body is not valid JSON.');
    await stillServing();
  });

  it('a JSON body that is not an object, and fields of the wrong type', async () => {
    const array = await signedPost('/things/arr', '[1,2]');
    expect([array.status, array.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidRequestException']);
    const wrongType = await signedPost('/things/typed', JSON.stringify({ attributePayload: { attributes: { a: 5 } } }));
    expect([wrongType.status, wrongType.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidRequestException']);
    const missing = await signedPost('/policies/nodoc', '{}');
    expect([missing.status, missing.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidRequestException']);
    await stillServing();
  });

  it('Cognito: malformed JSON and missing fields are InvalidParameterException with __type', async () => {
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityService.GetId' };
    const bad = await rawRequest(t.endpoint, '/', { method: 'POST', headers, body: '{oops' });
    expect([bad.status, bad.json?.__type]).toEqual([400, 'InvalidParameterException']);
    const missing = await rawRequest(t.endpoint, '/', { method: 'POST', headers, body: '{}' });
    expect([missing.status, missing.json?.__type, missing.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidParameterException', 'InvalidParameterException']);
    await stillServing();
  });

  it('unknown routes and methods: UnknownOperationException (404)', async () => {
    for (const [method, path] of [
      ['GET', '/thing-types'],
      ['PUT', '/things'],
      ['GET', '/'],
      ['POST', '/things/a/b/c/d'],
    ] as const) {
      const res = await signedRequest(t.endpoint, { method, path, credentials: t.emulator.credentials });
      expect([res.status, res.headers.get('x-amzn-errortype')]).toEqual([404, 'UnknownOperationException']);
    }
    await stillServing();
  });

  it('invalid percent-encoding in the path', async () => {
    const res = await signedRequest(t.endpoint, { path: '/things/%E0%A4%A', credentials: t.emulator.credentials });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await stillServing();
  });

  it('a body over the size cap: RequestEntityTooLargeException (413)', async () => {
    const big = JSON.stringify({ policyDocument: 'x'.repeat(100 * 1024) });
    const res = await signedPost('/policies/huge', big);
    expect([res.status, res.headers.get('x-amzn-errortype')]).toEqual([413, 'RequestEntityTooLargeException']);
    // Far over the cap: answered at once and the connection closed.
    const huge = await rawExchange([`POST /things/x HTTP/1.1\r\nHost: x\r\nContent-Length: ${64 * 1024 * 100}\r\n\r\n`]);
    expect(huge).toMatch(/^HTTP\/1\.1 413/);
    expect(huge).toContain('x-amzn-errortype: RequestEntityTooLargeException');
    await stillServing();
  });

  it('garbage that is not HTTP: 400 and a closed connection', async () => {
    const reply = await rawExchange(['\x16\x03\x01 this is not http\r\n\r\n']);
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    await stillServing();
  });

  it('headers too large: 431', async () => {
    const reply = await rawExchange([`GET /things HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`]);
    expect(reply).toMatch(/^HTTP\/1\.1 431/);
    await stillServing();
  });
});

describe('slow and vanishing clients', () => {
  it('headers that never finish: 408 after the header timeout', async () => {
    const started = Date.now();
    const reply = await rawExchange(['GET /things HTTP/1.1\r\n', 'Host: x\r\n'], { gapMs: 50 });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(5000);
    await stillServing();
  });

  it('a body that never finishes: the connection is dropped after the request timeout', async () => {
    const started = Date.now();
    const reply = await rawExchange(['POST /things/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":']);
    expect(reply === '' || /^HTTP\/1\.1 408/.test(reply)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    await stillServing();
  });

  it('a client that disconnects mid-body', async () => {
    await rawExchange(['POST /things/gone HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"attr'], { endAfter: true });
    await stillServing();
  });
});

describe('concurrency', () => {
  it('serialises concurrent mutations: 60 parallel creates of 20 things all land once', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `par-${i % 20}`);
    const results = await Promise.allSettled(names.map((thingName) => t.iot.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { n: '1' } } }))));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const ids = new Map<string, string>();
    for (const [i, r] of results.entries()) {
      const id = (r as PromiseFulfilledResult<{ thingId?: string }>).value.thingId!;
      const prev = ids.get(names[i]!);
      if (prev) expect(id).toBe(prev); // idempotent: the same thing each time
      ids.set(names[i]!, id);
    }
    const d = await t.iot.send(new DescribeThingCommand({ thingName: 'par-7' }));
    expect(d.version).toBe(1);
  });
});
