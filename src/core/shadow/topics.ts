/**
 * The Device Shadow's reserved MQTT topics. A shadow is named by its thing
 * and, for a named shadow, its name: the classic shadow's topics start with
 * `$aws/things/<thing>/shadow`, a named shadow's with
 * `$aws/things/<thing>/shadow/name/<name>`. Clients publish the requests
 * (`get`, `update`, `delete`); the service publishes the answers
 * (`<request>/accepted|rejected`, `update/delta`, `update/documents`), which
 * clients may subscribe to but not publish. Pure.
 */
import { SHADOW_NAME, THING_NAME, checkName } from '../names.js';

export interface ShadowRef {
  thingName: string;
  /** Absent: the classic (unnamed) shadow. */
  shadowName?: string;
}

export type ShadowOperation = 'get' | 'update' | 'delete';
/** What the service publishes after a request, under the request's topic. */
export type ShadowAnswer = 'accepted' | 'rejected' | 'delta' | 'documents';

const OPERATIONS: readonly string[] = ['get', 'update', 'delete'];
const ANSWERS: Record<string, readonly string[]> = { get: ['accepted', 'rejected'], update: ['accepted', 'rejected', 'delta', 'documents'], delete: ['accepted', 'rejected'] };

/** The filter that sees every shadow request (and answer). */
export const SHADOW_TOPICS_FILTER = '$aws/things/+/shadow/#';

export function shadowTopicPrefix(ref: ShadowRef): string {
  return ref.shadowName === undefined ? `$aws/things/${ref.thingName}/shadow` : `$aws/things/${ref.thingName}/shadow/name/${ref.shadowName}`;
}

/** `$aws/things/lamp/shadow/update`, `.../update/delta`, ... */
export function shadowTopic(ref: ShadowRef, operation: ShadowOperation, answer?: ShadowAnswer): string {
  return `${shadowTopicPrefix(ref)}/${operation}${answer ? `/${answer}` : ''}`;
}

/** How people name a shadow in messages: `the classic shadow of lamp`, `the shadow "config" of lamp`. */
export function describeShadow(ref: ShadowRef): string {
  return ref.shadowName === undefined ? `the classic shadow of ${ref.thingName}` : `the shadow "${ref.shadowName}" of ${ref.thingName}`;
}

interface ParsedTopic {
  ref: ShadowRef;
  operation: ShadowOperation;
  answer?: ShadowAnswer;
}

/** A shadow topic's parts (request or answer), or undefined when the topic is not one. */
export function parseShadowTopic(topic: string): ParsedTopic | undefined {
  // Every PUBLISH is asked: most topics are not shadow topics, and need no split to say so.
  if (!topic.startsWith('$aws/things/')) return undefined;
  const parts = topic.split('/');
  if (parts[0] !== '$aws' || parts[1] !== 'things' || parts[3] !== 'shadow' || !parts[2]) return undefined;
  const thingName = parts[2];
  let rest = parts.slice(4);
  let shadowName: string | undefined;
  if (rest[0] === 'name' && rest.length >= 3) {
    shadowName = rest[1];
    if (!shadowName) return undefined;
    rest = rest.slice(2);
  }
  const [operation, answer, ...extra] = rest;
  if (extra.length > 0 || operation === undefined || !OPERATIONS.includes(operation)) return undefined;
  if (answer !== undefined && !ANSWERS[operation]!.includes(answer)) return undefined;
  const ref: ShadowRef = shadowName === undefined ? { thingName } : { thingName, shadowName };
  return answer === undefined ? { ref, operation: operation as ShadowOperation } : { ref, operation: operation as ShadowOperation, answer: answer as ShadowAnswer };
}

/** A request a client publishes (`.../get`, `.../update`, `.../delete`), or undefined. */
export function parseShadowRequestTopic(topic: string): { ref: ShadowRef; operation: ShadowOperation } | undefined {
  const parsed = parseShadowTopic(topic);
  return parsed && parsed.answer === undefined ? parsed : undefined;
}

/** Whether the service alone publishes on this topic (an answer: accepted, rejected, delta, documents). */
export function isShadowAnswerTopic(topic: string): boolean {
  return parseShadowTopic(topic)?.answer !== undefined;
}

/** Why a thing or shadow name cannot name a shadow, or undefined. */
export function shadowRefProblem(ref: ShadowRef): string | undefined {
  return checkName(THING_NAME, ref.thingName) ?? (ref.shadowName === undefined ? undefined : checkName(SHADOW_NAME, ref.shadowName));
}
