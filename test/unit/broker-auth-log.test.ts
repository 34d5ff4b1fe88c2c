import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthLog, formatAuthLogEvent, parseAuthLog, type AuthLogEvent } from '../../src/emulator/broker/auth-log.js';

const denial: Omit<AuthLogEvent, 'time'> = {
  event: 'denied',
  transport: 'mqtts',
  sourceIp: '127.0.0.1',
  clientId: 'lamp-1',
  principal: 'arn:aws:iot:us-east-1:123456789012:cert/' + 'ab'.repeat(32),
  principalKind: 'certificate',
  action: 'iot:Connect',
  resource: 'arn:aws:iot:us-east-1:123456789012:client/lamp-1',
  decision: 'IMPLICIT_DENY',
  reason: "no statement of the certificate's policies (device) allows it",
  missingVariables: ['iot:Connection.Thing.ThingName'],
  outcome: 'connection closed, no CONNACK',
};

describe('the auth log', () => {
  it('formats one readable line', () => {
    expect(formatAuthLogEvent({ time: '2026-01-01T00:00:00.000Z', ...denial })).toBe(
      "2026-01-01T00:00:00.000Z DENIED iot:Connect client/lamp-1 (client lamp-1, cert abababababab…, 127.0.0.1, mqtts): no statement of the certificate's policies (device) allows it [unresolved: ${iot:Connection.Thing.ThingName}] → connection closed, no CONNACK",
    );
  });

  it('writes JSON lines, counts throttled repeats, and rotates past its size', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'iotctl-authlog-')), 'auth-log.jsonl');
    let now = 0;
    const seen: AuthLogEvent[] = [];
    const log = new AuthLog({ file, now: () => now, onEvent: (e) => seen.push(e), maxBytes: 2000 });
    log.write(denial, 'k');
    log.write(denial, 'k');
    log.write(denial, 'k');
    now = 10_001;
    log.write(denial, 'k');
    await log.flush();
    const events = parseAuthLog(readFileSync(file, 'utf8'));
    expect(events.map((e) => e.repeated)).toEqual([undefined, 2]);
    expect(seen).toHaveLength(2);
    for (let i = 0; i < 5; i++) log.write(denial);
    await log.flush();
    expect(readFileSync(`${file}.1`, 'utf8').length).toBeGreaterThan(0);
    expect(parseAuthLog('not json\n{"event":"denied","time":"t","reason":"r","outcome":"o"}\n')).toHaveLength(1);
  });
});
