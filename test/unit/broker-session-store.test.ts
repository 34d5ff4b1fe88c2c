import { describe, expect, it } from 'vitest';
import { RetainedStore } from '../../src/emulator/broker/retained.js';
import { SessionStore } from '../../src/emulator/broker/session-store.js';

const packet = (counter: number, topic = 'a/b', qos = 1) => ({ cmd: 'publish', brokerId: 'b', brokerCounter: counter, topic, payload: Buffer.from(`m${counter}`), qos, retain: true, dup: false });

async function store(options: Partial<ConstructorParameters<typeof SessionStore>[0]> = {}) {
  return new SessionStore({ retained: await RetainedStore.open(), ...options });
}

async function drain(stream: NodeJS.ReadableStream): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe('the broker session store', () => {
  it('keeps only granted filters of a persistent session, and matches topics with AWS rules', async () => {
    const s = await store();
    s.grant('c1', 'a/#');
    s.grant('c1', 'x/y');
    await s.addSubscriptions({ id: 'c1' }, [
      { topic: 'a/#', qos: 1 },
      { topic: 'denied/#', qos: 1 },
      { topic: 'x/y', qos: 2 },
    ]);
    expect(await s.subscriptionsByClient({ id: 'c1' })).toEqual([
      { topic: 'a/#', qos: 1 },
      { topic: 'x/y', qos: 1 },
    ]);
    expect(await s.subscriptionsByTopic('a/b')).toEqual([{ clientId: 'c1', topic: 'a/#', qos: 1 }]);
    expect(await s.subscriptionsByTopic('a')).toEqual([]);
    expect(await s.subscriptionsByTopic('denied/x')).toEqual([]);
    s.deny('c1', 'x/y');
    expect(await s.subscriptionsByTopic('x/y')).toEqual([]);
  });

  it('queues up to maxQueued messages as live copies (RETAIN 0), acknowledges by packet id, and reports overflow once', async () => {
    const overflows: string[] = [];
    const s = await store({ maxQueued: 2, onOverflow: (id) => overflows.push(id) });
    s.grant('c1', 'a/b');
    await s.addSubscriptions({ id: 'c1' }, [{ topic: 'a/b', qos: 1 }]);
    for (const n of [1, 2, 3, 4]) await s.outgoingEnqueueCombi([{ clientId: 'c1' }], packet(n));
    expect(overflows).toEqual(['c1']);
    const queued = (await drain(s.outgoingStream({ id: 'c1' }))) as { payload: Buffer; retain: boolean }[];
    expect(queued.map((p) => [p.payload.toString(), p.retain])).toEqual([
      ['m1', false],
      ['m2', false],
    ]);
    await s.outgoingUpdate({ id: 'c1' }, { ...packet(1), messageId: 7 });
    expect(((await s.outgoingClearMessageId({ id: 'c1' }, { ...packet(0), messageId: 7 })) as { brokerCounter: number }).brokerCounter).toBe(1);
    expect(s.queuedFor('c1')).toBe(1);
  });

  it('expires a session some time after its client left, not while it is connected', async () => {
    let now = 0;
    const s = await store({ sessionExpiryMs: 1000, now: () => now });
    for (const id of ['gone', 'here']) {
      s.grant(id, 't');
      await s.addSubscriptions({ id }, [{ topic: 't', qos: 1 }]);
    }
    s.disconnected('gone');
    now = 999;
    expect(s.expire()).toBe(0);
    now = 1000;
    expect(s.expire()).toBe(1);
    expect(await s.subscriptionsByClient({ id: 'gone' })).toEqual([]);
    expect(await s.subscriptionsByClient({ id: 'here' })).toHaveLength(1);
  });

  it('serves retained messages only for filters equal to their topic', async () => {
    const retained = await RetainedStore.open();
    const s = await store({ retained });
    await s.storeRetained(packet(1, 'home/door'));
    expect(((await drain(s.createRetainedStreamCombi(['home/door', 'home/#', 'home/+']))) as { topic: string; retain: boolean }[]).map((p) => [p.topic, p.retain])).toEqual([['home/door', true]]);
    await s.storeRetained({ ...packet(2, 'home/door'), payload: Buffer.alloc(0) });
    expect(retained.size).toBe(0);
  });
});
