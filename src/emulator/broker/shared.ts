/**
 * Shared subscriptions, `$share/<group>/<filter>`, for MQTT 3.1.1 and 5
 * clients, as AWS IoT Core has them: each message on the filter goes to one
 * member of the group (here in turn, skipping a member that may not receive
 * it or has no room), and retained messages never go to them.
 *
 * aedes 2.0.0-beta.1 refuses `$share` from MQTT 5 clients (SUBACK 0x9E) and
 * would subscribe a 3.1.1 client to the literal filter. So the SUBSCRIBE is
 * handed to aedes under a private name (`$iotctl-share/<group>/<filter>`,
 * a topic nothing can publish to): aedes keeps that subscription's life
 * (SUBACK, UNSUBSCRIBE, persistent sessions) and delivery function, and the
 * groups here hold one router subscription per group on the real filter.
 */
import { parseSharedFilter, topicMatches } from '../../core/topic.js';

const SHARE = '$share/';
const KEY = '$iotctl-share/';

/** The name aedes knows a `$share/...` filter by. */
export function sharedKey(filter: string): string {
  return KEY + filter.slice(SHARE.length);
}

/** A filter as the client sent it, from the name aedes knows it by. */
export function filterAsSent(filterOrKey: string): string {
  return filterOrKey.startsWith(KEY) ? SHARE + filterOrKey.slice(KEY.length) : filterOrKey;
}

export function isSharedKey(filter: string): boolean {
  return filter.startsWith(KEY);
}

/** A member of a group: one connection's subscription to the shared filter. */
export interface Member {
  readonly id: number;
}

/** Delivers to one member; false when that member cannot take this message (the next one is tried). */
export type DeliverToMember<M extends Member> = (member: M, key: string, packet: { topic: string }, done: () => void) => boolean;

interface Router {
  subscribe(filter: string, listener: Listener, done: () => void): void;
  unsubscribe(filter: string, listener: Listener, done: () => void): void;
}
type Listener = (packet: { topic: string }, done: () => void) => void;

interface Group<M> {
  members: M[];
  /** The member the next message goes to first. */
  next: number;
  listener: Listener;
  filter: string;
}

/** A filter starting with a wildcard does not match `$` topics (MQTT 4.7.2). */
const startsWithWildcard = (filter: string) => filter.charCodeAt(0) === 43 || filter.charCodeAt(0) === 35;

export class SharedSubscriptions<M extends Member> {
  private readonly groups = new Map<string, Group<M>>();

  constructor(
    private readonly router: Router,
    private readonly deliver: DeliverToMember<M>,
  ) {}

  /** `member` joins the group of `key` (a sharedKey), once. */
  join(member: M, key: string): void {
    let group = this.groups.get(key);
    if (!group) {
      const filter = parseSharedFilter(filterAsSent(key))!.filter;
      const created: Group<M> = { members: [], next: 0, filter, listener: (packet, done) => this.route(key, created, packet, done) };
      group = created;
      this.groups.set(key, group);
      this.router.subscribe(filter, group.listener, () => {});
    }
    if (!group.members.includes(member)) group.members.push(member);
  }

  leave(member: M, key: string): void {
    const group = this.groups.get(key);
    const i = group ? group.members.indexOf(member) : -1;
    if (!group || i < 0) return;
    group.members.splice(i, 1);
    if (group.next > i) group.next--;
    if (group.members.length === 0) {
      this.groups.delete(key);
      this.router.unsubscribe(group.filter, group.listener, () => {});
    }
  }

  leaveAll(member: M): void {
    for (const [key, group] of [...this.groups]) if (group.members.includes(member)) this.leave(member, key);
  }

  /** How many members a group has (for tests and status). */
  size(key: string): number {
    return this.groups.get(key)?.members.length ?? 0;
  }

  private route(key: string, group: Group<M>, packet: { topic: string }, done: () => void): void {
    // The router matches as MQTT does; AWS's `a/#` does not match `a`, and `+/...` or `#` never match `$` topics.
    if (!topicMatches(group.filter, packet.topic) || (packet.topic.charCodeAt(0) === 36 && startsWithWildcard(group.filter))) return done();
    const n = group.members.length;
    for (let i = 0; i < n; i++) {
      const at = (group.next + i) % n;
      if (this.deliver(group.members[at]!, key, packet, done)) {
        group.next = (at + 1) % n;
        return;
      }
    }
    done();
  }
}
