import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { IotctlError } from '../../src/core/errors.js';
import { NO_COLORS } from '../../src/io/colors.js';
import { readLineBatches, readLines } from '../../src/messaging/lines.js';
import { classifyPayload, sanitizeForTerminal } from '../../src/messaging/payload.js';
import { prepareSingle } from '../../src/messaging/publish.js';
import { chooseFormat, colorJson, compileOutputTemplate, createRenderer, messageRecord, renderNdjson, renderPretty } from '../../src/messaging/render.js';
import { compilePayloadTemplate, parseTemplate, unescapeTemplate } from '../../src/messaging/template.js';
import { LineWriter } from '../../src/messaging/writer.js';
import { StatusLine, statusText } from '../../src/messaging/status.js';
import type { IncomingMessage } from '../../src/mqtt/types.js';

const AT = Date.UTC(2026, 10, 21, 12, 0, 1, 234);
const msg = (payload: string | Buffer, extra: Partial<IncomingMessage> = {}): IncomingMessage => ({
  topic: 'dt/pi01/temp',
  payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
  qos: 1,
  retain: false,
  receivedAt: AT,
  ...extra,
});

const error = (fn: () => unknown): IotctlError => {
  try {
    fn();
  } catch (e) {
    return e as IotctlError;
  }
  throw new Error('expected an error');
};

describe('payload templates', () => {
  const ctx = { clientId: 'pi01', topic: 'dt/pi01' };

  it('expands seq, ts, unix, iso, uuid, clientId and topic', () => {
    const render = compilePayloadTemplate('{"n":{{seq}},"ts":{{ts}},"s":{{ unix }},"at":"{{iso}}","id":"{{uuid}}","c":"{{clientId}}","t":"{{topic}}"}');
    const before = Date.now();
    const out = JSON.parse(render({ seq: 7, ...ctx })) as Record<string, string | number>;
    expect(out.n).toBe(7);
    expect(out.ts).toBeGreaterThanOrEqual(before);
    expect(out.s).toBe(Math.floor((out.ts as number) / 1000));
    expect(new Date(out.at as string).getTime()).toBe(out.ts);
    expect(out.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([out.c, out.t]).toEqual(['pi01', 'dt/pi01']);
    expect(render({ seq: 8, ...ctx })).not.toBe(render({ seq: 8, ...ctx })); // a new uuid each time
  });

  it('draws {{rand a b}}: integers between bounds, or two decimals', () => {
    const ints = compilePayloadTemplate('{{rand 1 3}}');
    const values = new Set(Array.from({ length: 200 }, () => ints({ seq: 1, ...ctx })));
    expect([...values].sort()).toEqual(['1', '2', '3']);
    const real = compilePayloadTemplate('{{rand 20.5 21}}')({ seq: 1, ...ctx });
    expect(real).toMatch(/^2[01]\.\d\d$/);
    expect(Number(real)).toBeGreaterThanOrEqual(20.5);
  });

  it('refuses unknown variables and bad arguments as usage errors, pointing at --no-template', () => {
    const e = error(() => compilePayloadTemplate('{"n": {{sequence}}}'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('{{sequence}}');
    expect(e.hint).toContain('--no-template');
    expect(error(() => compilePayloadTemplate('{{rand 5 1}}')).exitCode).toBe(2);
    expect(error(() => compilePayloadTemplate('{{seq 1}}')).message).toContain('takes no arguments');
  });

  it('leaves text without placeholders (and non-variable braces) alone', () => {
    expect(parseTemplate('{"a": {"b": 1}}')).toEqual(['{"a": {"b": 1}}']);
    expect(parseTemplate('x{{seq}}y')).toEqual(['x', { name: 'seq', args: [], raw: '{{seq}}' }, 'y']);
    const payload = Buffer.from('{{seq}}');
    expect(prepareSingle(payload, false)(3, ctx)).toBe(payload);
    expect(prepareSingle(payload, true)(3, ctx).toString()).toBe('3');
  });

  it('refuses a single payload over 128 KB before connecting', () => {
    expect(() => prepareSingle(Buffer.alloc(128 * 1024), false)).not.toThrow();
    const e = error(() => prepareSingle(Buffer.alloc(128 * 1024 + 1), false));
    expect(e.code).toBe('PAYLOAD_TOO_LARGE');
    expect(e.exitCode).toBe(2);
  });
});

describe('payload classification', () => {
  it('tells JSON, text and binary apart', () => {
    expect(classifyPayload(Buffer.from('{"a":1}'))).toMatchObject({ kind: 'json', value: { a: 1 } });
    expect(classifyPayload(Buffer.from(' [1, 2] '))).toMatchObject({ kind: 'json', value: [1, 2] });
    expect(classifyPayload(Buffer.from('42'))).toMatchObject({ kind: 'json', value: 42 });
    expect(classifyPayload(Buffer.from('true'))).toMatchObject({ kind: 'json', value: true });
    expect(classifyPayload(Buffer.from('{not json'))).toMatchObject({ kind: 'utf8', text: '{not json' });
    expect(classifyPayload(Buffer.from('héllo'))).toMatchObject({ kind: 'utf8', text: 'héllo' });
    expect(classifyPayload(Buffer.from([0xff, 0x00, 0x80]))).toEqual({ kind: 'binary' });
    expect(classifyPayload(Buffer.alloc(0))).toEqual({ kind: 'utf8', text: '' });
  });

  it('escapes control characters for the terminal, keeping tabs and newlines', () => {
    expect(sanitizeForTerminal('a\u001b[31mb\tc\nd\re')).toBe('a\\u001b[31mb\tc\nd\\re');
  });
});

describe('output formats', () => {
  it('ndjson: one object per line; JSON payloads embedded, text as string, binary as base64', () => {
    const json = JSON.parse(renderNdjson(msg('{"t": 21.5}'))) as Record<string, unknown>;
    expect(json).toEqual({ timestamp: '2026-11-21T12:00:01.234Z', topic: 'dt/pi01/temp', qos: 1, retain: false, payload: { t: 21.5 }, encoding: 'json' });
    expect(JSON.parse(renderNdjson(msg('hello')))).toMatchObject({ payload: 'hello', encoding: 'utf8' });
    expect(JSON.parse(renderNdjson(msg(Buffer.from([0xde, 0xad, 0xbe, 0xef]))))).toMatchObject({ payload: '3q2+7w==', encoding: 'base64' });
    const multiline = renderNdjson(msg('{\n  "a": 1\n}'));
    expect(multiline.split('\n')).toHaveLength(2);
    expect(JSON.parse(multiline)).toMatchObject({ payload: { a: 1 } });
    expect(renderNdjson(msg('{"a":1}'))).toMatch(/\n$/);
  });

  it('carries MQTT 5 properties into the JSON record', () => {
    const r = messageRecord(
      msg('x', { properties: { contentType: 'text/plain', responseTopic: 'r/1', correlationData: Buffer.from('c1'), messageExpirySeconds: 60, userProperties: [{ name: 'k', value: 'v' }] } }),
    );
    expect(r).toMatchObject({ contentType: 'text/plain', responseTopic: 'r/1', correlationData: 'YzE=', messageExpirySeconds: 60, userProperties: [{ name: 'k', value: 'v' }] });
    expect(JSON.parse(renderNdjson(msg('{"a":1}', { properties: { contentType: 'application/json' } })))).toMatchObject({ contentType: 'application/json', payload: { a: 1 } });
  });

  it('pretty: time, topic and the payload, compact JSON when it fits, indented when it does not', () => {
    const time = new Date(AT);
    const hhmm = `${String(time.getHours()).padStart(2, '0')}:${String(time.getMinutes()).padStart(2, '0')}:01.234`;
    expect(renderPretty(msg('{"t":21.5,"ok":true}'), NO_COLORS)).toBe(`${hhmm} dt/pi01/temp {"t": 21.5, "ok": true}\n`);
    const long = renderPretty(msg(JSON.stringify({ a: 'x'.repeat(60), b: [1, 2] })), NO_COLORS, 80);
    expect(long).toBe(`${hhmm} dt/pi01/temp\n  {\n    "a": "${'x'.repeat(60)}",\n    "b": [\n      1,\n      2\n    ]\n  }\n`);
    expect(renderPretty(msg('plain text', { retain: true }), NO_COLORS)).toBe(`${hhmm} dt/pi01/temp retained plain text\n`);
    expect(renderPretty(msg(Buffer.from([1, 2, 3])), NO_COLORS)).toBe(`${hhmm} dt/pi01/temp <3 bytes, base64> AQID\n`);
    expect(renderPretty(msg('x', { properties: { contentType: 'text/plain', userProperties: [{ name: 'a', value: 'b' }] } }), NO_COLORS)).toContain('\n  content-type: text/plain · a=b\n');
  });

  it('pretty colours JSON when colours are on, and never passes escape sequences from payloads', () => {
    const marks = { ...NO_COLORS, blue: (s: string) => `<b>${s}</b>`, yellow: (s: string) => `<y>${s}</y>`, green: (s: string) => `<g>${s}</g>`, magenta: (s: string) => `<m>${s}</m>` };
    expect(colorJson({ k: 1, s: 'v', n: null }, marks, 0)).toBe('{<b>"k"</b>: <y>1</y>, <b>"s"</b>: <g>"v"</g>, <b>"n"</b>: <m>null</m>}');
    expect(renderPretty(msg('evil \u001b]0;title\u0007'), NO_COLORS)).not.toMatch(/\u001b/);
  });

  it('raw: the payload bytes and a newline', () => {
    const raw = createRenderer({ format: 'raw', colors: NO_COLORS })(msg(Buffer.from([0, 1, 2])));
    const parts = (Array.isArray(raw) ? raw : [raw]).map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)));
    expect([...Buffer.concat(parts)]).toEqual([0, 1, 2, 10]);
  });

  it('template: fields, JSON paths into the payload, escapes', () => {
    const t = compileOutputTemplate('{{topic}}\\t{{payload.t}}\\t{{payload.missing}}|{{qos}} {{retain}} {{bytes}} {{iso}} {{json}}');
    expect(t(msg('{"t": 21.5}'))).toBe('dt/pi01/temp\t21.5\t|1 false 11 2026-11-21T12:00:01.234Z {"t":21.5}\n');
    expect(compileOutputTemplate('{{payload}} {{base64}}')(msg(Buffer.from([255])))).toBe('/w== /w==\n');
    expect(compileOutputTemplate('{{property.k}}')(msg('x', { properties: { userProperties: [{ name: 'k', value: 'v' }] } }))).toBe('v\n');
    expect(error(() => compileOutputTemplate('{{nope}}')).exitCode).toBe(2);
    expect(unescapeTemplate('a\\nb\\\\n')).toBe('a\nb\\n');
  });

  it('chooses pretty for a terminal, NDJSON for pipes, files and --json', () => {
    expect(chooseFormat(undefined, { json: false, tty: true })).toBe('pretty');
    expect(chooseFormat(undefined, { json: false, tty: false })).toBe('ndjson');
    expect(chooseFormat(undefined, { json: true, tty: true })).toBe('ndjson');
    expect(chooseFormat(undefined, { json: false, tty: true, template: '{{topic}}' })).toBe('template');
    expect(chooseFormat('raw', { json: true, tty: true })).toBe('raw');
    expect(error(() => chooseFormat('yaml', { json: false, tty: true })).exitCode).toBe(2);
    expect(error(() => createRenderer({ format: 'template', colors: NO_COLORS })).code).toBe('TEMPLATE_REQUIRED');
  });
});

describe('line-buffered writer', () => {
  it('writes what a turn of the event loop produced in one write, at the end of the turn', async () => {
    const writes: (string | Uint8Array)[] = [];
    const w = new LineWriter({ write: (c) => writes.push(c) });
    w.write('a\n');
    w.write('b\n');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a\nb\n']);
    w.write('c\n');
    w.write(Buffer.from([0, 10]));
    w.flush();
    expect(Buffer.from(writes[1] as Uint8Array)).toEqual(Buffer.from([0x63, 10, 0, 10]));
  });

  it('runs hooks around a batch (tail clears its status line)', () => {
    const seen: string[] = [];
    const w = new LineWriter({ write: (c) => seen.push(`write ${String(c).trim()}`) }, { before: () => seen.push('before'), after: () => seen.push('after') });
    w.write('x\n');
    w.flush();
    w.flush();
    expect(seen).toEqual(['before', 'write x', 'after']);
  });
});

async function collect(input: AsyncIterable<Buffer | string>, max = 1024): Promise<string[]> {
  const out: string[] = [];
  for await (const line of readLines(input, max)) out.push(`${line.number}:${line.bytes.toString()}`);
  return out;
}

describe('line streaming', () => {
  it('splits lines across chunk boundaries, accepts CRLF, skips blank lines, keeps a last line without newline', async () => {
    expect(await collect(Readable.from([Buffer.from('one\ntw'), Buffer.from('o\r\n\nthr'), Buffer.from('ee'), Buffer.from('\nfour')]))).toEqual(['1:one', '2:two', '4:three', '5:four']);
    expect(await collect(Readable.from([Buffer.from('a\n'), Buffer.from('\n'), Buffer.from('b\r\n')]))).toEqual(['1:a', '3:b']);
    expect(await collect(Readable.from(['x'.repeat(5), 'y'.repeat(5), '\n']))).toEqual([`1:${'x'.repeat(5)}${'y'.repeat(5)}`]);
  });

  it('refuses a line over the limit, naming it', async () => {
    await expect(collect(Readable.from([Buffer.from('ok\n' + 'x'.repeat(20) + '\n')]), 10)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', exitCode: 2, message: expect.stringContaining('Line 2') });
    await expect(collect(Readable.from([Buffer.from('x'.repeat(8)), Buffer.from('x'.repeat(8))]), 10)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('with a callback for over-long lines (pub --spool), skips them, even when one spans chunks, and goes on', async () => {
    const skipped: string[] = [];
    const out: string[] = [];
    const input = Readable.from([Buffer.from('ok\n' + 'x'.repeat(20) + '\nfine\n' + 'y'.repeat(8)), Buffer.from('y'.repeat(8)), Buffer.from('y'.repeat(8) + '\nlast\n' + 'z'.repeat(30))]);
    for await (const batch of readLineBatches(input, 10, (n, bytes) => skipped.push(`${n}:${bytes}`))) for (const l of batch) out.push(`${l.number}:${l.bytes}`);
    expect(out).toEqual(['1:ok', '3:fine', '5:last']);
    expect(skipped).toEqual(['2:20', '4:24', '6:30']);
  });

  it('reads only as fast as lines are consumed (backpressure)', async () => {
    const input = new PassThrough({ highWaterMark: 1024 });
    let written = 0;
    const line = Buffer.from('x'.repeat(99) + '\n');
    let full = false;
    // The producer writes until the stream says stop.
    const produce = () => {
      while (written < 100_000) {
        written++;
        if (!input.write(line)) {
          full = true;
          input.once('drain', produce);
          return;
        }
      }
      input.end();
    };
    produce();
    const lines = readLines(input, 1024);
    const first = await lines.next();
    expect(first.value?.bytes.length).toBe(99);
    // Nothing consumes: however many turns of the event loop go by, the producer stays stopped after a few KB, instead of buffering 10 MB.
    for (let turn = 0; turn < 50; turn++) await new Promise((r) => setImmediate(r));
    expect(full).toBe(true);
    expect(written).toBeLessThan(200);
    let count = 1;
    for await (const _ of lines) count++;
    expect(count).toBe(100_000);
  });
});

describe('tail status line', () => {
  const at = { where: '127.0.0.1:8883', rate: 12.34, total: 1234, now: 70_000 };
  it('says connected, with messages per second and the total', () => {
    expect(statusText({ kind: 'connected', since: 10_000 }, at, NO_COLORS)).toBe('● connected to 127.0.0.1:8883 · 12 msg/s · 1,234 received · up 1m');
    expect(statusText({ kind: 'connected', since: 69_000 }, { ...at, rate: 0.5 }, NO_COLORS)).toContain('0.5 msg/s · 1,234 received · up 1s');
    expect(statusText({ kind: 'connected', since: 69_900 }, at, NO_COLORS)).toContain('up 0s');
  });
  it('says reconnecting, when, which attempt and why', () => {
    expect(statusText({ kind: 'reconnecting', inMs: 4200, attempt: 3, reason: 'Connection refused by 127.0.0.1:8883.' }, at, NO_COLORS)).toBe(
      '○ reconnecting in 4.2s (attempt 3) · 1,234 received · Connection refused by 127.0.0.1:8883.',
    );
    expect(statusText({ kind: 'connecting', attempt: 0 }, at, NO_COLORS)).toBe('○ connecting to 127.0.0.1:8883');
  });
  it('draws over itself with \\r and clears before output, never wider than the terminal', () => {
    const writes: string[] = [];
    const line = new StatusLine({ write: (s: string) => (writes.push(s), true), columns: 30 }, 'h:1', NO_COLORS);
    line.set({ kind: 'reconnecting', inMs: 1000, attempt: 1, reason: 'x'.repeat(80) });
    expect(writes[0]!.startsWith('\r\u001b[2K')).toBe(true);
    expect(writes[0]!.length - '\r\u001b[2K'.length).toBeLessThan(30);
    line.clear();
    line.clear();
    expect(writes.slice(1)).toEqual(['\r\u001b[2K']);
  });
});
