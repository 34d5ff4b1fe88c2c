import { describe, expect, it } from 'vitest';
import { SharedSubscriptions, filterAsSent, isSharedKey, sharedKey } from '../../src/emulator/broker/shared.js';

type Listener = (packet: { topic: string }, done: () => void) => void;

/** A router that records its subscriptions, and members that record what they got. */
function setup(accept: (id: number) => boolean = () => true) {
  const listeners = new Map<string, Listener>();
  const got: [number, string][] = [];
  const shared = new SharedSubscriptions<{ id: number }>(
    { subscribe: (f, l, done) => (listeners.set(f, l), done()), unsubscribe: (f, _l, done) => (listeners.delete(f), done()) },
    (member, _key, packet, done) => {
      if (!accept(member.id)) return false;
      got.push([member.id, packet.topic]);
      done();
      return true;
    },
  );
  const route = (filter: string, topic: string) => listeners.get(filter)?.({ topic }, () => {});
  return { shared, listeners, got, route };
}

describe('shared subscriptions', () => {
  it('names: $share/<group>/<filter> goes to aedes under a private name that maps back', () => {
    const key = sharedKey('$share/g/a/+');
    expect(isSharedKey(key)).toBe(true);
    expect(isSharedKey('$share/g/a/+')).toBe(false);
    expect(filterAsSent(key)).toBe('$share/g/a/+');
    expect(filterAsSent('a/b')).toBe('a/b');
  });

  it('members take turns; one router subscription per group, dropped with its last member', () => {
    const { shared, listeners, got, route } = setup();
    const [a, b, c] = [{ id: 1 }, { id: 2 }, { id: 3 }];
    const key = sharedKey('$share/g/jobs/+');
    for (const m of [a, b, c, a]) shared.join(m, key);
    expect(shared.size(key)).toBe(3);
    expect([...listeners.keys()]).toEqual(['jobs/+']);
    for (let i = 0; i < 5; i++) route('jobs/+', `jobs/${i}`);
    expect(got.map(([id]) => id)).toEqual([1, 2, 3, 1, 2]);
    // The next turn is c's; a leaving before it does not skip c.
    shared.leave(a, key);
    route('jobs/+', 'jobs/5');
    expect(got.at(-1)).toEqual([3, 'jobs/5']);
    shared.leaveAll(b);
    shared.leaveAll(c);
    expect(listeners.size).toBe(0);
  });

  it("AWS's matching: jobs/# does not take jobs; a member that cannot take a message is passed over", () => {
    const { shared, got, route } = setup((id) => id !== 1);
    shared.join({ id: 1 }, sharedKey('$share/g/jobs/#'));
    shared.join({ id: 2 }, sharedKey('$share/g/jobs/#'));
    route('jobs/#', 'jobs');
    route('jobs/#', 'jobs/x');
    route('jobs/#', 'jobs/y');
    expect(got).toEqual([
      [2, 'jobs/x'],
      [2, 'jobs/y'],
    ]);
  });
});
