import { describe, expect, it } from 'vitest';
import { FrameScanner, type FrameHeader } from '../../src/emulator/broker/mqtt-frames.js';
import { connectFrame, fixedHeader, subscribeFrame } from '../helpers/raw-mqtt.js';

function scan(bytes: Buffer, max: number, chunkSize = bytes.length) {
  const headers: FrameHeader[] = [];
  const scanner = new FrameScanner(max, (h) => headers.push(h));
  for (let i = 0; i < bytes.length; i += chunkSize) {
    const problem = scanner.push(bytes.subarray(i, i + chunkSize));
    if (problem) return { headers, problem };
  }
  return { headers, problem: undefined };
}

describe('FrameScanner', () => {
  const stream = Buffer.concat([connectFrame('c1'), subscribeFrame(1, 'a/b', 1), fixedHeader(12, 0, 0), fixedHeader(3, 2, 200), Buffer.alloc(200), fixedHeader(4, 0, 2), Buffer.from([0, 1])]);
  const expected = [
    { type: 1, flags: 0, length: connectFrame('c1').length - 2 },
    { type: 8, flags: 2, length: subscribeFrame(1, 'a/b', 1).length - 2 },
    { type: 12, flags: 0, length: 0 },
    { type: 3, flags: 2, length: 200 },
    { type: 4, flags: 0, length: 2 },
  ];

  it('reads every header, whole or one byte at a time', () => {
    expect(scan(stream, 1000)).toEqual({ headers: expected, problem: undefined });
    expect(scan(stream, 1000, 1)).toEqual({ headers: expected, problem: undefined });
    expect(scan(stream, 1000, 7)).toEqual({ headers: expected, problem: undefined });
  });

  it('remaining lengths of 1 to 4 bytes, up to 268,435,455', () => {
    for (const n of [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455]) {
      expect(scan(fixedHeader(3, 0, n), Infinity).headers).toEqual([{ type: 3, flags: 0, length: n }]);
    }
  });

  it('a header declaring more than the limit is a problem before any body byte', () => {
    const { headers, problem } = scan(Buffer.concat([connectFrame('c1'), fixedHeader(3, 0, 149_505)]), 149_504, 1);
    expect(headers).toHaveLength(1);
    expect(problem).toEqual({ kind: 'too-large', header: { type: 3, flags: 0, length: 149_505 } });
    expect(scan(fixedHeader(3, 0, 149_504), 149_504).problem).toBeUndefined();
  });

  it('a remaining length of more than four bytes is malformed', () => {
    expect(scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), Infinity).problem).toEqual({ kind: 'malformed' });
  });
});
