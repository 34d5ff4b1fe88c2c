/** What one input line of `pub --lines --line-format ...` means, and the spooled publisher's status line. */
import { describe, expect, it } from 'vitest';
import { lineDecoder, parseLineFormat } from '../../src/messaging/line-format.js';
import { spoolStatusText } from '../../src/messaging/spool-publish.js';
import { colorsFor } from '../../src/io/colors.js';

const decode = (format: 'plain' | 'json' | 'tsv', line: string, topic?: string) => {
  const d = lineDecoder(format, topic)(Buffer.from(line));
  return d.error !== undefined ? { error: d.error } : { topic: d.topic, payload: d.payload.toString() };
};

describe('line formats', () => {
  it.each([
    ['plain', 'hello', 'dt/a', { topic: 'dt/a', payload: 'hello' }],
    ['tsv', 'dt/b\t{"t": 1}', undefined, { topic: 'dt/b', payload: '{"t": 1}' }],
    ['tsv', 'dt/b\ta\tb', undefined, { topic: 'dt/b', payload: 'a\tb' }],
    ['tsv', 'no tab', undefined, { error: 'no tab: a tsv line is topic<TAB>payload' }],
    ['tsv', 'dt/#\tx', undefined, { error: expect.stringMatching(/contains a wildcard/) }],
    ['json', '{"topic": "dt/c", "payload": "text"}', undefined, { topic: 'dt/c', payload: 'text' }],
    ['json', '{"topic": "dt/c", "payload": {"t": 2}}', undefined, { topic: 'dt/c', payload: '{"t":2}' }],
    ['json', '{"payload": 3}', 'dt/default', { topic: 'dt/default', payload: '3' }],
    ['json', '{"payload": 3}', undefined, { error: 'no "topic" (a string), and no topic argument' }],
    ['json', '{"topic": "dt/c"}', undefined, { error: 'no "payload"' }],
    ['json', '[1, 2]', undefined, { error: expect.stringMatching(/^not a JSON object/) }],
    ['json', '{"topic": "dt/c", ', undefined, { error: expect.stringMatching(/^not JSON \(/) }],
    ['json', `{"topic": "${'a/'.repeat(8)}x", "payload": 1}`, undefined, { error: expect.stringMatching(/forward slashes/) }],
  ] as const)('%s %j', (format, line, topic, expected) => {
    expect(decode(format, line, topic)).toEqual(expected);
  });

  it('a payload over 128 KB is refused', () => {
    expect(decode('tsv', `dt/a\t${'x'.repeat(128 * 1024 + 1)}`)).toEqual({ error: expect.stringMatching(/131073 bytes; AWS IoT accepts messages of at most 131072 bytes/) });
  });

  it('names the formats it knows', () => {
    expect(() => parseLineFormat('csv')).toThrow(/--line-format must be one of plain, json, tsv, not "csv"/);
  });
});

describe('the status line of pub --spool', () => {
  it('shows the connection, the spool and what was sent, dropped and skipped', async () => {
    const c = await colorsFor(0);
    const counts = { spooled: 10, recovered: 0, published: 8, acknowledged: 8, dropped: 0, skipped: 0, pending: 1234, bytes: 56 * 1024 };
    expect(spoolStatusText({ kind: 'connected', since: 0 }, 'h:8883', counts, 61_000, c)).toBe('● connected to h:8883 · spool 1,234 lines (56 KB) · 8 sent · up 1m1s');
    expect(spoolStatusText({ kind: 'reconnecting', inMs: 2000, attempt: 3, reason: 'refused' }, 'h:8883', { ...counts, dropped: 5, skipped: 1 }, 0, c)).toBe(
      '○ reconnecting in 2s (attempt 3) · spool 1,234 lines (56 KB) · 8 sent · 5 dropped · 1 skipped',
    );
  });
});
