/**
 * The Device Shadow service, wired into the local IoT Core: its store (on
 * disk in shadows.json unless ephemeral), its ear on the broker (every
 * authorized PUBLISH under `$aws/things/+/shadow/`), its voice (publishAs, so
 * every subscriber's iot:Receive applies), and what it follows of the
 * registry (a deleted thing, when its shadows are to go with it).
 */
import { SHADOW_TOPICS_FILTER } from '../../core/shadow/topics.js';
import type { Broker } from '../broker/broker.js';
import type { ChangeEvent } from '../store/registry.js';
import type { StateStore } from '../store/state.js';
import { ShadowService, type ShadowPolicy } from './service.js';
import { ShadowStore } from './store.js';

export type { ShadowPolicy } from './service.js';
export { ShadowService } from './service.js';

export interface ShadowsOptions extends ShadowPolicy {
  /** shadows.json; in memory only without. */
  file?: string;
  broker: Pick<Broker, 'publishAs' | 'serve'>;
  state: StateStore;
  now: () => number;
  logError?: (message: string, err: unknown) => void;
}

export interface Shadows {
  service: ShadowService;
  /** Stops listening; what is on disk stays. */
  close(): Promise<void>;
}

export async function startShadows(options: ShadowsOptions): Promise<Shadows> {
  const { broker, state, logError } = options;
  const store = await ShadowStore.open(options.file, options.now);
  const service = new ShadowService({
    store,
    registry: () => state.registry,
    // QoS 1: a persistent session that is away gets its delta when it comes back, as on AWS.
    publish: (topic, payload) => broker.publishAs({ transport: 'service', service: 'shadow' }, { topic, payload, qos: 1, retain: false }),
    now: options.now,
    requireThing: options.requireThing,
    deleteWithThing: options.deleteWithThing,
    logError,
  });
  const failed = (err: unknown) => logError?.('the shadow service failed on a request', err);
  const stopServing = broker.serve(SHADOW_TOPICS_FILTER, ({ topic, payload }) => void service.request(topic, payload).catch(failed));
  const onChange = (event: ChangeEvent) => {
    if (event.type === 'thing' && event.deleted) void service.thingDeleted(event.name).catch(failed);
  };
  state.changes.on('change', onChange);
  return {
    service,
    async close() {
      stopServing();
      state.changes.off('change', onChange);
      await store.flush();
    },
  };
}
