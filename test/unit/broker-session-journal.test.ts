import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RetainedStore } from '../../src/emulator/broker/retained.js';
import { SessionJournal } from '../../src/emulator/broker/session-journal.js';
import { SessionStore } from '../../src/emulator/broker/session-store.js';

const packet = (counter: number, payload: string) => ({ cmd: 'publish', brokerId: 'b', brokerCounter: counter, topic: 'a/b', payload: Buffer.from(payload), qos: 1, retain: false, dup: false });

function files() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iotctl-journal-'));
  return { snapshot: path.join(dir, 'sessions.json'), journal: path.join(dir, 'sessions.journal') };
}

async function openStore(f: { snapshot: string; journal: string }, now = () => 1000) {
  const s = new SessionStore({ retained: await RetainedStore.open(), now });
  await s.persistIn(f.snapshot, f.journal);
  return s;
}

async function drain(stream: NodeJS.ReadableStream): Promise<string[]> {
  const out: string[] = [];
  for await (const item of stream) out.push((item as { payload: Buffer }).payload.toString());
  return out;
}

describe('persistent sessions on disk', () => {
  it('subscriptions and queued messages come back in order; acknowledged ones do not', async () => {
    const f = files();
    const a = await openStore(f);
    a.grant('c1', 'a/#');
    await a.addSubscriptions({ id: 'c1' }, [{ topic: 'a/#', qos: 1 }]);
    a.disconnected('c1');
    for (let i = 1; i <= 3; i++) await a.outgoingEnqueueCombi([{ clientId: 'c1' }], packet(i, `m${i}`));
    await a.outgoingClearMessageId({ id: 'c1' }, packet(1, 'm1'));
    await a.destroy();

    const b = await openStore(f);
    expect(await b.subscriptionsByClient({ id: 'c1' })).toEqual([{ topic: 'a/#', qos: 1 }]);
    expect(await drain(b.outgoingStream({ id: 'c1' }))).toEqual(['m2', 'm3']);
    // Restored messages are acknowledged by the counter they were replayed with.
    const [first] = await drain2(b.outgoingStream({ id: 'c1' }));
    await b.outgoingUpdate({ id: 'c1' }, { ...first!, messageId: 7 });
    await b.outgoingClearMessageId({ id: 'c1' }, { ...first!, messageId: 7 });
    await b.destroy();
    const c = await openStore(f);
    expect(await drain(c.outgoingStream({ id: 'c1' }))).toEqual(['m3']);
    await c.destroy();
  });

  it('a line cut short by a crash is skipped, and a journal of another generation is ignored', async () => {
    const f = files();
    const a = await openStore(f);
    a.grant('c1', 'x');
    await a.addSubscriptions({ id: 'c1' }, [{ topic: 'x', qos: 1 }]);
    await a.outgoingEnqueueCombi([{ clientId: 'c1' }], packet(1, 'kept'));
    await a.destroy();
    appendFileSync(f.journal, '{"op":"enq","c":"c1","m":99,"topic":"x","payl');
    const loaded = await SessionJournal.load(f.snapshot, f.journal);
    expect(loaded.sessions.map((s) => s.queue.map((q) => Buffer.from(q.payload, 'base64').toString()))).toEqual([['kept']]);

    // A compaction cut short: the snapshot is newer than the journal, which it already holds.
    await (await openStore(f)).destroy();
    const snapshot = JSON.parse(readFileSync(f.snapshot, 'utf8')) as { generation: number };
    writeFileSync(f.journal, JSON.stringify({ generation: snapshot.generation - 1 }) + '\n' + JSON.stringify({ op: 'forget', c: 'c1' }) + '\n');
    expect((await SessionJournal.load(f.snapshot, f.journal)).sessions.map((s) => s.clientId)).toEqual(['c1']);
  });

  it('a session whose client was online when the broker stopped counts its expiry from the restart', async () => {
    const f = files();
    let now = 1000;
    const a = await openStore(f, () => now);
    a.grant('c1', 'x');
    await a.addSubscriptions({ id: 'c1' }, [{ topic: 'x', qos: 1 }]);
    a.connected('c1');
    await a.destroy();
    now = 5000;
    const b = new SessionStore({ retained: await RetainedStore.open(), now: () => now, sessionExpiryMs: 100 });
    await b.persistIn(f.snapshot, f.journal);
    now = 5050;
    expect(b.expire()).toBe(0);
    now = 5200;
    expect(b.expire()).toBe(1);
    await b.destroy();
  });
});

async function drain2(stream: NodeJS.ReadableStream): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const item of stream) out.push(item as Record<string, unknown>);
  return out;
}
