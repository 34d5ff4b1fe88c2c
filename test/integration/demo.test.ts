import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';

interface DemoReport {
  ok: boolean;
  seconds: number;
  checks: { chapter: string; title: string; expected: string; actual: string; ok: boolean; why?: string }[];
}

describe('iotctl demo', () => {
  it('--json tells the whole story, every expected allow and deny happens, and it exits 0', async () => {
    const r = await spawnCli(['demo', '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as DemoReport;
    expect(report.ok).toBe(true);
    const byTitle = Object.fromEntries(report.checks.map((c) => [c.title, c]));
    expect(report.checks.map((c) => `${c.chapter}: ${c.expected} -> ${c.actual}`)).toEqual([
      'device: allowed -> allowed',
      'device: denied -> denied',
      'device: denied -> denied',
      'home: allowed -> allowed',
      'home: allowed -> allowed',
      'home: allowed -> allowed',
      'home: denied -> denied',
      'home: denied -> denied',
      'home: denied -> denied',
      'cognito: allowed -> allowed',
      'cognito: denied -> denied',
      'cognito: denied -> denied',
      'cognito: allowed -> allowed',
      'lamp: allowed -> allowed',
      'lamp: allowed -> allowed',
      'lamp: allowed -> allowed',
      'lamp: denied -> denied',
    ]);
    // Denials come with the broker's own reason and, on MQTT 5, AWS's reason code; on MQTT 3.1.1 the connection drops.
    expect(byTitle['Chuck publishes home/123_aws_ave/door_1/open']?.why).toMatch(/iotctl-home-456_iot_ln.*PUBACK not authorized \(0x87\)/);
    expect(byTitle['Chuck subscribes to home/123_aws_ave/#']?.why).toMatch(/SUBACK 0x87/);
    expect(byTitle['the same on MQTT 3.1.1: the connection drops']?.why).toMatch(/iotctl-device.* → connection closed$/);
    const beforeRegister = report.checks.find((c) => c.title.startsWith('Alice (signed in'));
    expect(beforeRegister?.why).toMatch(/no IoT policy is attached to the identity.*CONNACK not authorized \(0x87\)/);
    // The lamp: the delta Alice caused reaches the lamp; after its report the shadow is in sync; Chuck's read is an HTTP 403.
    expect(byTitle['the lamp (mutual TLS) gets the delta']).toMatchObject({ ok: true });
    expect(report.checks.find((c) => c.title.startsWith('the lamp reports'))).toMatchObject({ actual: 'allowed', ok: true });
    expect(byTitle["Chuck reads the lamp's shadow (GetThingShadow)"]?.why).toMatch(/iotctl-home-456_iot_ln\) allows it → HTTP 403$/);
  });

  it('tells the story in words when not asked for JSON', async () => {
    const r = await spawnCli(['demo'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2. Home policies');
    expect(r.stdout).toContain('4. The lamp and its Device Shadow');
    expect(r.stdout).toMatch(/✔ the lamp \(mutual TLS\) gets the delta: allowed\n {6}delta \{"light":"on"\}\n/);
    expect(r.stdout).toMatch(/✔ Chuck publishes home\/123_aws_ave\/door_1\/open: denied\n {6}why: /);
    expect(r.stdout).toMatch(/All 17 checks behaved as AWS IoT would/);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    // The summary fits an 80-column terminal.
    const summary = r.stdout.slice(r.stdout.indexOf('Summary'));
    for (const line of summary.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
  });
});
