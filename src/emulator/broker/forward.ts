/**
 * Every delivery to a subscriber: iot:Receive on the topic (checked at each
 * delivery, so revoking it stops a live subscription), AWS's rule that `a/#`
 * does not match `a`, nothing from `$SYS` or Basic Ingest, and room in the
 * subscriber's outbound budget. Shared subscriptions deliver through the
 * same check, to one member at a time.
 */
import type { AedesPublishPacket, Client } from 'aedes';
import type { BrokerConnection, Resources } from './connection.js';
import { subscriptionDelivery } from './engine.js';
import { isUndeliverable } from './limits.js';
import { publishBytes } from './outbound.js';

export interface ForwardDeps {
  connectionOf(client: Client): BrokerConnection | undefined;
  resources: Resources;
}

export function createForwarding(deps: ForwardDeps) {
  const { resources } = deps;
  /**
   * Set while a shared subscription hands a message to aedes's delivery for
   * one member: aedes calls authorizeForward synchronously from there, and a
   * shared delivery matched the group's filter already (which is not among
   * the member's own filters that coveredByFilters knows).
   */
  let sharedDelivery = false;

  /** aedes's authorizeForward: the message to send, or null. Synchronous. */
  function authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const topic = packet.topic;
    if (isUndeliverable(topic)) return null;
    const c = deps.connectionOf(client);
    if (!c || (!sharedDelivery && !c.coveredByFilters(topic))) return null;
    if (!c.check('iot:Receive', resources.topic(topic), 'not delivered', true)) return null;
    return !c.outbound || c.outbound.admit(packet.qos, publishBytes(packet)) ? packet : null;
  }

  /** Delivers a message of a shared subscription to one member; false when this member cannot take it now. */
  function deliverShared(c: BrokerConnection, key: string, packet: { topic: string }, done: () => void): boolean {
    const client = c.client;
    const deliver = client && !client.closed ? subscriptionDelivery(client, key) : undefined;
    if (!deliver || c.outbound?.full()) return false;
    if (!c.check('iot:Receive', resources.topic(packet.topic), 'not delivered (the next member of the shared subscription was tried)', true)) return false;
    sharedDelivery = true;
    try {
      deliver(packet, done);
    } finally {
      sharedDelivery = false;
    }
    return true;
  }

  return { authorizeForward, deliverShared };
}
