import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import { Backoff, backoffDelay } from '../../src/mqtt/backoff.js';
import { Pacer, isAwsHost, isLoopbackHost, paceFor } from '../../src/mqtt/pacing.js';
import { connackText311, isFailure, reasonText } from '../../src/core/reason-codes.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['10', 10_000],
    ['0.25', 250],
    [' 3s ', 3000],
    ['0s', 0],
  ])('%j is %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 's', '10x', '-1s', '1s2', 'ten seconds', '1 s', '1e3'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());

  it('formats short and long durations', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_500)).toBe('12.5s');
    expect(formatDuration(200_000)).toBe('3m20s');
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(3_900_000)).toBe('1h5m');
  });
});

describe('reconnect backoff', () => {
  it('doubles up to the ceiling, with half of each delay fixed and half random', () => {
    const low = (a: number) => backoffDelay(a, { random: () => 0 });
    const high = (a: number) => backoffDelay(a, { random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(low)).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
    expect([0, 1, 2, 3, 4, 5].map(high)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000]);
    expect(backoffDelay(100)).toBeLessThanOrEqual(30_000);
  });

  it('resets after a connection that stayed up, not after one that dropped at once', () => {
    let now = 0;
    const b = new Backoff({ random: () => 0, stableMs: 10_000 }, () => now);
    expect([b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000]);
    b.connected();
    now += 2000;
    expect(b.next()).toBe(4000); // flapping: keeps backing off
    b.connected();
    now += 60_000;
    expect(b.next()).toBe(500); // was stable: starts over
  });
});

describe('pacing', () => {
  it('paces AWS endpoints to 100 publishes/s and leaves others alone; --rate wins', () => {
    expect(isAwsHost('a1b2c3-ats.iot.eu-west-1.amazonaws.com')).toBe(true);
    expect(isAwsHost('a1b2c3-ats.iot.cn-north-1.amazonaws.com.cn')).toBe(true);
    expect(isAwsHost('127.0.0.1')).toBe(false);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('127.0.0.53')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('broker.lan')).toBe(false);
    expect(paceFor('x-ats.iot.us-east-1.amazonaws.com', undefined)).toEqual({ messagesPerSecond: 100, bytesPerSecond: 512 * 1024 });
    expect(paceFor('127.0.0.1', undefined)).toEqual({ messagesPerSecond: 0, bytesPerSecond: 0 });
    expect(paceFor('x-ats.iot.us-east-1.amazonaws.com', 0).messagesPerSecond).toBe(0);
    expect(paceFor('127.0.0.1', 5).messagesPerSecond).toBe(5);
  });

  it('spaces messages evenly, so no second ever holds more than the limit', () => {
    let now = 0;
    const p = new Pacer({ messagesPerSecond: 100, bytesPerSecond: 0 }, () => now);
    expect(p.delay(10)).toBe(0);
    expect(p.delay(10)).toBeCloseTo(10, 5);
    // The caller waits as told: then every message gets its 10 ms.
    let sent = 1;
    let t = 0;
    while (t < 1000) {
      const d = p.delay(10);
      t += d;
      now += d;
      if (t < 1000) sent++;
    }
    expect(sent).toBeLessThanOrEqual(101);
    now += 5000; // a quiet spell earns no burst
    expect(p.delay(10)).toBe(0);
    expect(p.delay(10)).toBeCloseTo(10, 5);
  });

  it('limits bytes per second too', () => {
    let now = 0;
    const p = new Pacer({ messagesPerSecond: 0, bytesPerSecond: 1000 }, () => now);
    expect(p.delay(1000)).toBe(0);
    expect(p.delay(500)).toBeCloseTo(500, 5);
    expect(new Pacer({ messagesPerSecond: 0, bytesPerSecond: 0 }).unlimited).toBe(true);
  });
});

describe('reason codes in words', () => {
  it.each([
    [0x87, 'CONNACK', 'not authorized (0x87)'],
    [0x00, 'PUBACK', 'success (0x00)'],
    [0x10, 'PUBACK', 'no matching subscribers (0x10)'],
    [0x97, 'PUBACK', 'quota exceeded (0x97)'],
    [0x01, 'SUBACK', 'granted QoS 1 (0x01)'],
    [0x8f, 'SUBACK', 'topic filter invalid (0x8f)'],
    [0x8e, 'DISCONNECT', 'session taken over (another connection used the same client id) (0x8e)'],
    [0x00, 'DISCONNECT', 'normal disconnection (0x00)'],
    [0xfe, 'PUBACK', 'unknown reason code (0xfe)'],
  ] as const)('%i in %s', (code, packet, text) => expect(reasonText(code, packet)).toBe(text));

  it('knows failures and the 3.1.1 CONNACK codes', () => {
    expect(isFailure(0x10)).toBe(false);
    expect(isFailure(0x80)).toBe(true);
    expect(connackText311(5)).toBe('not authorized (5)');
  });
});
