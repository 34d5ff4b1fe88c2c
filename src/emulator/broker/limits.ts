/**
 * AWS IoT Core's MQTT limits and reserved topics (facts sheet 2.1, 2.2), as
 * the broker enforces them. Each check returns a sentence for the auth log,
 * or undefined when the value is fine.
 */
import { isShadowAnswerTopic } from '../../core/shadow/topics.js';
import { checkClientId, checkTopicFilter, checkTopicName, parseSharedFilter } from '../../core/topic.js';

/** 128 KB per PUBLISH payload. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;
/**
 * The largest remaining length a packet's fixed header may declare: AWS's
 * quota of 146 KB for a whole packet (a 128 KB payload plus topic, packet id
 * and properties). Larger packets are refused from their header, unread;
 * payloads between 128 KB and this are refused once read (payloadProblem).
 */
export const MAX_PACKET_BYTES = 146 * 1024;
/** Keep-alive bounds in seconds: 0 or above the maximum means the maximum; below the minimum means the minimum. */
export const KEEPALIVE_MIN_SECONDS = 30;
export const KEEPALIVE_MAX_SECONDS = 1200;

/** MQTT 5, as AWS IoT Core advertises it in CONNACK: the Maximum Packet Size a client may send (146 KiB, the whole packet). */
export const MQTT5_MAXIMUM_PACKET_SIZE = 146 * 1024;
/** MQTT 5: unacknowledged QoS 1 PUBLISHes a client may have in flight (Receive Maximum). */
export const MQTT5_RECEIVE_MAXIMUM = 100;
/** MQTT 5: the largest Topic Alias a client may use. */
export const MQTT5_TOPIC_ALIAS_MAXIMUM = 8;
/** MQTT 5 Message Expiry Interval: 0 counts as 1 s, and at most 7 days. */
export const MESSAGE_EXPIRY_MIN_SECONDS = 1;
export const MESSAGE_EXPIRY_MAX_SECONDS = 7 * 24 * 3600;

export function clampMessageExpiry(seconds: number): number {
  return Math.min(Math.max(seconds, MESSAGE_EXPIRY_MIN_SECONDS), MESSAGE_EXPIRY_MAX_SECONDS);
}

export function clampKeepAlive(seconds: number | undefined): number {
  if (!seconds || seconds > KEEPALIVE_MAX_SECONDS) return KEEPALIVE_MAX_SECONDS;
  return Math.max(seconds, KEEPALIVE_MIN_SECONDS);
}

/** The AWS SDKs append `?SDK=...&Platform=...` metrics to the username: everything from the first `?` is metadata. */
export function stripUsernameMetadata(username: string | undefined): string | undefined {
  if (username === undefined) return undefined;
  const q = username.indexOf('?');
  return q < 0 ? username : username.slice(0, q);
}

export function clientIdProblem(clientId: string): string | undefined {
  if (clientId.length === 0) return 'the client id is empty; AWS IoT needs one to authorize iot:Connect (client/<id>)';
  return checkClientId(clientId)?.message;
}

/** `$` topics are reserved: only `$aws/...` exists on AWS IoT Core (and `$SYS` is never exposed). */
function reservedProblem(text: string, what: 'topic' | 'topic filter'): string | undefined {
  if (text.charCodeAt(0) !== 36 /* $ */ || text.startsWith('$aws/')) return undefined;
  return `the ${what} "${text}" starts with $, which is reserved (only $aws/... topics exist on AWS IoT Core)`;
}

/** Where AWS IoT Core publishes lifecycle events: clients may subscribe, not publish. */
export const EVENTS_PREFIX = '$aws/events/';

export function publishTopicProblem(topic: string): string | undefined {
  const problem = checkTopicName(topic)?.message ?? reservedProblem(topic, 'topic');
  if (problem) return problem;
  if (topic.startsWith(EVENTS_PREFIX)) return `the topic "${topic}" is reserved for the events AWS IoT Core publishes; clients may subscribe to it, not publish`;
  if (isShadowAnswerTopic(topic)) return `the topic "${topic}" is where the Device Shadow service answers; clients may subscribe to it, not publish (requests go to .../get, .../update and .../delete)`;
  return undefined;
}

/** A filter as sent in SUBSCRIBE, shared subscriptions (`$share/<name>/<filter>`) included. */
export function subscribeFilterProblem(filter: string): string | undefined {
  const problem = checkTopicFilter(filter)?.message;
  if (problem) return problem;
  const shared = parseSharedFilter(filter);
  return reservedProblem(shared ? shared.filter : filter, 'topic filter');
}

export function payloadProblem(payload: Buffer | string | undefined): string | undefined {
  const size = payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  return size > MAX_PAYLOAD_BYTES ? `the payload is ${size} bytes; AWS IoT allows at most ${MAX_PAYLOAD_BYTES} (128 KB)` : undefined;
}

/** A packet whose header declares more than MAX_PACKET_BYTES. */
export function packetSizeProblem(packetName: string, declared: number): string {
  return `the ${packetName} packet declares ${declared} bytes; AWS IoT accepts at most ${MAX_PACKET_BYTES} bytes per packet (a 128 KB payload plus headers)`;
}

/** No RETAIN on reserved `$` topics: such a message is forwarded but not kept. */
export function mayRetain(topic: string): boolean {
  return topic.charCodeAt(0) !== 36;
}

/** Topics that are accepted but never delivered to subscribers. */
export function isUndeliverable(topic: string): boolean {
  // $SYS: aedes's own broker topics. $aws/rules/...: Basic Ingest goes to rules, not subscribers.
  return topic.charCodeAt(0) === 36 && (topic.startsWith('$SYS/') || topic.startsWith('$aws/rules/'));
}
