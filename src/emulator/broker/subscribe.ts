/**
 * SUBSCRIBE (and a persistent session's subscriptions when it resumes):
 * limits and iot:Subscribe on the filter as sent, `$share/<group>/...`
 * included. A refused filter is answered the AWS way:
 * - MQTT 3.1.1: SUBACK 0x80 for that filter, or a closed connection
 *   (`subscribeDenied: 'close'`, as AWS has been seen to do);
 * - MQTT 5: SUBACK 0x87 (not authorized) or 0x8F (invalid filter, see
 *   protocol.ts) for that filter.
 */
import type { Client, Subscription } from 'aedes';
import type { BrokerConnection, Resources } from './connection.js';
import { refusal } from './connect.js';
import { subscribeFilterProblem } from './limits.js';
import { filterAsSent, isSharedKey } from './shared.js';

export type SubscribeDeniedMode = 'suback' | 'close';

export interface SubscribeDeps {
  connectionOf(client: Client): BrokerConnection | undefined;
  resources: Resources;
  subscribeDenied: SubscribeDeniedMode;
  /** Persistent sessions keep only the filters allowed now. */
  sessions: { grant(clientId: string, filter: string): void; deny(clientId: string, filter: string): void };
  /** A shared subscription's member joins its group. */
  shared: { join(c: BrokerConnection, key: string): void };
}

const CLOSED = 'connection closed';

export function createSubscribeHook(deps: SubscribeDeps) {
  const { resources } = deps;

  return function authorizeSubscribe(client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const c = deps.connectionOf(client);
    if (!c) return done(refusal('no connection'));
    const close = !c.isMqtt5 && deps.subscribeDenied === 'close';
    const outcome = close ? CLOSED : c.isMqtt5 ? 'SUBACK 0x87 (not authorized) for this filter' : 'SUBACK 0x80 for this filter';
    const filter = filterAsSent(sub.topic);
    const denied = (reason: string) => {
      if (!client.clean) deps.sessions.deny(client.id, sub.topic);
      return close ? done(refusal(reason)) : done(null, null);
    };
    const problem = subscribeFilterProblem(filter);
    if (problem) {
      c.refuse(problem, outcome, { action: 'iot:Subscribe', resource: resources.topicFilter(filter) });
      return denied(problem);
    }
    if (!c.check('iot:Subscribe', resources.topicFilter(filter), outcome)) return denied('not authorized');
    if (sub.qos > 1) sub.qos = 1;
    if (isSharedKey(sub.topic)) deps.shared.join(c, sub.topic);
    else c.granted(sub.topic);
    if (!client.clean) deps.sessions.grant(client.id, sub.topic);
    done(null, sub);
  };
}
