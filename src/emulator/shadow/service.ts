/**
 * The Device Shadow service of the local IoT Core: get, update and delete of
 * classic and named shadows, asked over MQTT (the reserved topics) or HTTP
 * (the data plane's routes). Each request is applied at once (so requests are
 * serialised by the event loop), made durable, and only then answered and
 * published: mutate, persist, then emit.
 *
 * What is published, as on AWS: an accepted update on `update/accepted`,
 * `update/delta` (when desired and reported differ) and `update/documents`;
 * an accepted delete on `delete/accepted`, whichever way they were asked. An
 * MQTT request is also answered on its own topics: `get/accepted` and every
 * `*\/rejected`; an HTTP request gets its answer (or error) in the response.
 * Messages go out in the order the requests were applied.
 *
 * Authorization is not done here: over MQTT the broker has checked
 * iot:Publish on the request topic (and checks iot:Receive on every answer);
 * over HTTP the route checked iot:GetThingShadow and the others.
 */
import {
  SHADOW_MESSAGES,
  applyUpdate,
  deleteDocument,
  errorDocument,
  getDocument,
  isShadowError,
  parseShadowRequestTopic,
  readClientToken,
  readUpdateRequest,
  shadowRefProblem,
  shadowTopic,
  type JsonObject,
  type ShadowAnswer,
  type ShadowError,
  type ShadowOperation,
  type ShadowRef,
} from '../../core/shadow/index.js';
import type { Registry } from '../store/registry.js';
import type { ShadowStore } from './store.js';

export interface ShadowPolicy {
  /**
   * false (the default): a shadow may exist for any thing name, registered or
   * not. true: a thing not in the registry has none (404 "Thing not found").
   */
  requireThing?: boolean;
  /** false (the default, as AWS documents it): deleting a thing leaves its shadows. true: they go with it. */
  deleteWithThing?: boolean;
}

export interface ShadowServiceOptions extends ShadowPolicy {
  store: ShadowStore;
  registry: () => Registry;
  /** Publishes a message as the service (through the broker: every subscriber's iot:Receive applies). */
  publish(topic: string, payload: Buffer): Promise<void>;
  now: () => number;
  logError?: (message: string, err: unknown) => void;
}

export type ShadowResult = { ok: true; document: JsonObject } | { ok: false; error: ShadowError };

type Outgoing = [topic: string, document: JsonObject];

const refused = (error: ShadowError): ShadowResult => ({ ok: false, error });

export class ShadowService {
  /** The messages of every request, in the order the requests were applied. */
  private outbox: Promise<void> = Promise.resolve();

  constructor(private readonly options: ShadowServiceOptions) {}

  private get seconds(): number {
    return Math.floor(this.options.now() / 1000);
  }

  /** A name that cannot name a shadow, or a thing the registry must have and does not. */
  private refusal(ref: ShadowRef, clientToken?: string): ShadowError | undefined {
    const problem = shadowRefProblem(ref);
    const withToken = (e: ShadowError) => (clientToken === undefined ? e : { ...e, clientToken });
    if (problem) return withToken({ code: 400, message: problem });
    if (this.options.requireThing && !this.options.registry().things.has(ref.thingName)) return withToken({ code: 404, message: SHADOW_MESSAGES.thingNotFound });
    return undefined;
  }

  private notFound(ref: ShadowRef, clientToken?: string): ShadowError {
    const error: ShadowError = { code: 404, message: SHADOW_MESSAGES.noShadow(ref.shadowName ?? ref.thingName) };
    return clientToken === undefined ? error : { ...error, clientToken };
  }

  get(ref: ShadowRef, clientToken?: string): ShadowResult {
    const problem = this.refusal(ref, clientToken);
    if (problem) return refused(problem);
    const shadow = this.options.store.get(ref);
    return shadow ? { ok: true, document: getDocument(shadow, this.seconds, clientToken) } : refused(this.notFound(ref, clientToken));
  }

  /** Applies an update; once it is durable, publishes update/accepted, update/delta and update/documents. */
  async update(ref: ShadowRef, payload: Uint8Array): Promise<ShadowResult> {
    const request = readUpdateRequest(payload);
    if (isShadowError(request)) return refused(request);
    const problem = this.refusal(ref, request.clientToken);
    if (problem) return refused(problem);
    const { store } = this.options;
    const outcome = applyUpdate(store.get(ref), store.lastVersion(ref), request, this.seconds);
    if (isShadowError(outcome)) return refused(outcome);
    store.put(ref, outcome.shadow);
    const messages: Outgoing[] = [[shadowTopic(ref, 'update', 'accepted'), outcome.accepted]];
    if (outcome.delta) messages.push([shadowTopic(ref, 'update', 'delta'), outcome.delta]);
    messages.push([shadowTopic(ref, 'update', 'documents'), outcome.documents]);
    await this.emit(store.commit(), messages);
    return { ok: true, document: outcome.accepted };
  }

  /** Deletes a shadow (its version is kept for the next one); once durable, publishes delete/accepted. */
  async delete(ref: ShadowRef, clientToken?: string): Promise<ShadowResult> {
    const problem = this.refusal(ref, clientToken);
    if (problem) return refused(problem);
    const { store } = this.options;
    const version = store.remove(ref);
    if (version === undefined) return refused(this.notFound(ref, clientToken));
    const document = deleteDocument(version, this.seconds, clientToken);
    await this.emit(store.commit(), [[shadowTopic(ref, 'delete', 'accepted'), document]]);
    return { ok: true, document };
  }

  /** The names of a thing's named shadows (the classic shadow is not one), sorted. */
  namedShadows(thingName: string): string[] {
    return this.options.store.namedShadows(thingName);
  }

  /** A thing was deleted from the registry: with deleteWithThing, its shadows go too. */
  async thingDeleted(thingName: string): Promise<void> {
    if (!this.options.deleteWithThing || this.options.store.forgetThing(thingName) === 0) return;
    await this.options.store.commit();
  }

  /**
   * A PUBLISH the broker authorized on a shadow topic. A request (`get`,
   * `update`, `delete`) is answered on its `accepted` or `rejected` topic;
   * anything else under `$aws/things/+/shadow/` is not for the service.
   */
  async request(topic: string, payload: Uint8Array): Promise<void> {
    const parsed = parseShadowRequestTopic(topic);
    if (!parsed) return;
    const { ref, operation } = parsed;
    const result = await this.perform(ref, operation, payload);
    const answer = (kind: ShadowAnswer, document: JsonObject): Outgoing => [shadowTopic(ref, operation, kind), document];
    if (!result.ok) await this.emit(undefined, [answer('rejected', errorDocument(result.error, this.seconds))]);
    // An accepted update or delete was published by update() and delete() themselves.
    else if (operation === 'get') await this.emit(undefined, [answer('accepted', result.document)]);
  }

  private perform(ref: ShadowRef, operation: ShadowOperation, payload: Uint8Array): ShadowResult | Promise<ShadowResult> {
    switch (operation) {
      case 'get':
        return this.get(ref, readClientToken(payload));
      case 'update':
        return this.update(ref, payload);
      case 'delete':
        return this.delete(ref, readClientToken(payload));
    }
  }

  /** Queues messages behind those of earlier requests; they go out once `durable` resolves (its failure is the caller's). */
  private emit(durable: Promise<void> | undefined, messages: Outgoing[]): Promise<void> {
    const sent = this.outbox.then(async () => {
      await durable;
      for (const [topic, document] of messages) {
        try {
          await this.options.publish(topic, Buffer.from(JSON.stringify(document)));
        } catch (err) {
          this.options.logError?.(`the shadow service could not publish on ${topic}`, err);
        }
      }
    });
    this.outbox = sent.catch(() => {});
    return sent;
  }
}
