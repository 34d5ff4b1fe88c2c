/**
 * The aedes hooks that make it behave like AWS IoT Core: every CONNECT,
 * PUBLISH (and Will), SUBSCRIBE and delivery is checked against AWS's limits
 * and the policies, and refused the way AWS refuses it on the client's MQTT
 * version (connect.ts, publish.ts, subscribe.ts, forward.ts say how).
 * protocol.ts covers what aedes answers before or after these hooks.
 */
import type { Client } from 'aedes';
import type { BrokerConnection, Resources } from './connection.js';
import { createConnectHook } from './connect.js';
import { createForwarding } from './forward.js';
import { createPublishHook, type PublishDeps } from './publish.js';
import { createSubscribeHook, type SubscribeDeps } from './subscribe.js';

export type { SubscribeDeniedMode } from './subscribe.js';

export interface HookDeps {
  connectionOf(client: Client): BrokerConnection | undefined;
  resources: Resources;
  subscribeDenied: SubscribeDeps['subscribeDenied'];
  sessions: SubscribeDeps['sessions'] & PublishDeps['sessions'];
  shared: SubscribeDeps['shared'];
  flow?: PublishDeps['flow'];
  /** A CONNECT was accepted (see connect.ts). */
  admitted(c: BrokerConnection): void;
}

/** Identity was settled before MQTT started (certificate or SigV4); the username carries no credentials here. */
function authenticate(_client: Client, _username: unknown, _password: unknown, done: (error: null, success: boolean) => void): void {
  done(null, true);
}

export function createHooks(deps: HookDeps) {
  /** Will messages admitted at CONNECT, so the publish hook knows one when it fires. */
  const wills = new WeakSet<object>();
  const forwarding = createForwarding(deps);
  return {
    preConnect: createConnectHook({ ...deps, wills }),
    authenticate,
    authorizePublish: createPublishHook({ ...deps, wills }),
    authorizeSubscribe: createSubscribeHook(deps),
    authorizeForward: forwarding.authorizeForward,
    /** Not an aedes hook: shared subscriptions deliver to a member through it. */
    deliverShared: forwarding.deliverShared,
  };
}
