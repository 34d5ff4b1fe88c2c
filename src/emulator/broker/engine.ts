/**
 * The one module that knows aedes (2.0.0-beta.1, pinned) from the inside. The
 * rest of the broker uses aedes through its public hooks and events, and
 * through the four seams below, each checked when it is installed so that a
 * later aedes that changed them is reported instead of silently misbehaving:
 *
 * - gateInbound: every decoded packet of a connection passes our gate before
 *   aedes sees it (to answer what aedes would answer differently from AWS:
 *   QoS 2, subscription identifiers, invalid and shared filters);
 * - rewriteOutgoing: every control packet aedes writes to a connection passes
 *   our rewrite (CONNACK properties and SUBACK/PUBACK reason codes, which
 *   aedes fixes to its own values). aedes serializes every packet with
 *   mqtt-packet's writeToStream, looked up on the module at each call; that
 *   function is wrapped once, and the wrap rewrites nothing for streams that
 *   did not ask for it (it writes a plain PUBLISH in one piece for all);
 * - routerQueue: how many messages wait in aedes's router (backpressure);
 * - subscriptionDelivery: the delivery function of one of a client's
 *   subscriptions (shared subscriptions deliver through it);
 * - batchQoS0Deliveries: a client's QoS 0 deliveries, written and completed
 *   once per event-loop turn instead of one by one;
 * - readPlainPublishes: plain PUBLISH frames read before aedes's parser sees
 *   the chunk (publish-decoding.ts), handed on as its parser would;
 * - rememberTopicMatches: the router's answer to "which subscriptions match
 *   this topic", kept until a subscription is added or removed.
 */
import { createRequire } from 'node:module';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { IPacket } from 'mqtt-packet';
import { decodePlainPublishes } from './publish-decoding.js';
import { encodePublish, plainPublishSize, writePlainPublish, type PublishFields } from './publish-encoding.js';

interface MqttPacketModule {
  writeToStream(packet: object, stream: object, opts?: object): boolean;
  generate(packet: object, opts?: object): Buffer;
}

/** mqtt-packet as aedes loaded it: the same module instance, so the wrap below sees what aedes writes. */
const mqttPacket = createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet') as MqttPacketModule;

export type { Client } from 'aedes';
export type AnyPacket = IPacket & Record<string, unknown>;

export interface EngineOptions extends Pick<AedesOptions, 'persistence' | 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  /** Messages routed at once. */
  concurrency: number;
  /** MQTT 5: the largest Topic Alias a client may use. */
  topicAliasMaximum: number;
  /** MQTT 5: the Receive Maximum advertised in CONNACK. */
  receiveMaximum: number;
  /** MQTT 5: a longer Session Expiry Interval is lowered to this (seconds), and the lowered value returned in CONNACK. */
  sessionExpiryLimitSeconds: number;
}

export async function startEngine(options: EngineOptions): Promise<Aedes> {
  installOutgoingRewrite();
  const { concurrency, topicAliasMaximum, receiveMaximum, sessionExpiryLimitSeconds, ...hooks } = options;
  const aedes = await Aedes.createBroker({
    ...hooks,
    concurrency,
    topicAliasMaximum,
    receiveMaximum,
    sessionExpiryIntervalLimit: sessionExpiryLimitSeconds,
    connectTimeout: 30_000,
    // Our outbound budget (outbound.ts) decides when a client that does not read goes; aedes never waits on a socket.
    drainTimeout: 0,
  });
  // When the router no longer looks as expected, it matches every topic every time (slower, the same).
  rememberTopicMatches(aedes);
  return aedes;
}

/** Serializes a packet the way aedes would (for the answers we write ourselves, such as a refusing CONNACK). */
export function encode(packet: object, protocolVersion: number): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}

// ------------------------------------------------------------- inbound gate

/** What the gate decides: let aedes handle the packet (possibly changed), or drop it (the gate answered it). */
export type Gate = (packet: AnyPacket) => boolean;

/**
 * Puts `gate` between the connection's MQTT parser and aedes. A dropped
 * packet is simply never handed over: aedes counts only what it is handed.
 * Returns false when aedes's parser no longer looks as expected.
 */
export function gateInbound(client: Client, gate: Gate): boolean {
  const parser = (client as unknown as { _parser?: NodeJS.EventEmitter })._parser;
  if (typeof parser?.listeners !== 'function') return false;
  const handlers = parser.listeners('packet');
  if (handlers.length !== 1) return false;
  const enqueue = handlers[0] as (this: unknown, packet: AnyPacket) => void;
  parser.removeListener('packet', enqueue);
  parser.on('packet', function (this: unknown, packet: AnyPacket) {
    if (gate(packet)) enqueue.call(this, packet);
  });
  return true;
}

// ---------------------------------------------------------- outgoing rewrite

const REWRITE = Symbol('iotctl.rewriteOutgoing');
type Rewrite = (packet: AnyPacket) => AnyPacket;
let installed = false;
/** mqtt-packet's own writeToStream, for what the wrap below leaves to it. */
let originalWriteToStream = mqttPacket.writeToStream;

function installOutgoingRewrite(): void {
  if (installed) return;
  installed = true;
  const original = (originalWriteToStream = mqttPacket.writeToStream);
  const wrapped = function writeToStream(packet: object, stream: object, opts?: object): boolean {
    const rewrite = (stream as { [REWRITE]?: Rewrite })[REWRITE];
    const out = rewrite === undefined ? (packet as AnyPacket) : rewrite(packet as AnyPacket);
    // Deliveries, the broker's busiest writes: one buffer, one write (publish-encoding.ts says why).
    if (out.cmd === 'publish') {
      const bytes = encodePublish(out as unknown as PublishFields, (opts as { protocolVersion?: number } | undefined)?.protocolVersion ?? 4);
      if (bytes !== undefined) return (stream as NodeJS.WritableStream).write(bytes);
    }
    return original(out, stream, opts);
  };
  // mqtt-packet exposes a number-cache switch on the function; keep it reachable.
  Object.defineProperty(wrapped, 'cacheNumbers', {
    get: () => (original as unknown as { cacheNumbers: boolean }).cacheNumbers,
    set: (v: boolean) => ((original as unknown as { cacheNumbers: boolean }).cacheNumbers = v),
  });
  mqttPacket.writeToStream = wrapped;
}

/** Every packet aedes writes to `conn` passes `rewrite` first (it returns the packet to write). */
export function rewriteOutgoing(conn: object, rewrite: Rewrite): void {
  (conn as { [REWRITE]?: Rewrite })[REWRITE] = rewrite;
}

// ------------------------------------------------------------------ internals

/** The router's queue (messages waiting to be routed), or undefined when aedes no longer has one we know. */
export function routerQueue(aedes: Aedes): { readonly length: number } | undefined {
  const mq = (aedes as unknown as { mq?: { length?: unknown } }).mq;
  return typeof mq?.length === 'number' ? (mq as { length: number }) : undefined;
}

/** The router's topic matcher (qlobber, inside mqemitter), as rememberTopicMatches uses it. */
interface TopicMatcher {
  match(topic: string, ...rest: unknown[]): unknown;
  add(...args: unknown[]): unknown;
  remove(...args: unknown[]): unknown;
  clear?(...args: unknown[]): unknown;
}

/** Topics whose matches are remembered; past it they start over (publishers may walk endless topics). */
const MATCHES_KEPT = 4096;

/**
 * The router matches every message's topic against every subscription
 * (splitting the topic into levels each time), while a device keeps
 * publishing to the same few topics and subscriptions change rarely. The
 * answer per topic is kept until any subscription is added or removed (or
 * all are cleared). The router only reads the answer. Returns false when the
 * router no longer looks as expected (then it matches every time).
 */
function rememberTopicMatches(aedes: Aedes): boolean {
  const matcher = (aedes as unknown as { mq?: { _matcher?: Partial<TopicMatcher> } }).mq?._matcher;
  if (typeof matcher?.match !== 'function' || typeof matcher.add !== 'function' || typeof matcher.remove !== 'function') return false;
  const { match, add, remove, clear } = matcher as TopicMatcher;
  const matches = new Map<string, unknown>();
  matcher.match = function (this: unknown, topic: string, ...rest: unknown[]): unknown {
    if (rest.length > 0 || typeof topic !== 'string') return match.call(this, topic, ...rest);
    let found = matches.get(topic);
    if (found === undefined) {
      found = match.call(this, topic);
      if (matches.size >= MATCHES_KEPT) matches.clear();
      matches.set(topic, found);
    }
    return found;
  };
  const forgetting =
    (change: (...args: unknown[]) => unknown) =>
    function (this: unknown, ...args: unknown[]): unknown {
      matches.clear();
      return change.apply(this, args);
    };
  matcher.add = forgetting(add);
  matcher.remove = forgetting(remove);
  if (typeof clear === 'function') matcher.clear = forgetting(clear);
  return true;
}

type Delivery = (packet: object, done: () => void) => void;

/** The function aedes delivers a client's subscription to `filter` through (QoS, retain-as-published, no-local applied), if it has one. */
export function subscriptionDelivery(client: Client, filter: string): Delivery | undefined {
  const subs = (client as unknown as { subscriptions?: Record<string, { func?: Delivery } | undefined> }).subscriptions;
  const func = subs?.[filter]?.func;
  return typeof func === 'function' ? func : undefined;
}

// ------------------------------------------------------------ QoS 0 deliveries

type Done = () => void;
type Packet0 = AnyPacket & { topic: string; brokerId?: string; brokerCounter?: number; clientId?: string; nl?: boolean };

/** What batchQoS0Deliveries uses of an aedes client. */
interface DeliveringClient {
  id: string | null;
  version: number | null;
  connecting: boolean;
  connected: boolean;
  conn: object;
  duplicates: Record<string, number>;
  broker: { authorizeForward(client: unknown, packet: Packet0): Packet0 | null | undefined };
  deliver0: (packet: Packet0, done: Done) => void;
  _onError(err: Error): void;
}

const WRITE_OPTIONS: Record<number, object> = { 3: { protocolVersion: 3 }, 4: { protocolVersion: 4 }, 5: { protocolVersion: 5 } };

/**
 * aedes delivers each QoS 0 message through two setImmediate callbacks of its
 * own (one writes a fresh copy of the packet, the next says done), which at
 * tens of thousands of messages a second cost more than the messages. This
 * replaces the client's QoS 0 delivery with the same steps in the same order
 * (no-local, aedes's duplicate suppression, authorizeForward, then a write
 * and done a turn later) for everything the client is given in a turn, from
 * one callback. Call it before the client subscribes (aedes captures the
 * function at SUBSCRIBE). Returns false when the client no longer looks as
 * expected (then aedes's own delivery stays).
 */
export function batchQoS0Deliveries(client: Client): boolean {
  const cl = client as unknown as DeliveringClient;
  if (typeof cl.deliver0 !== 'function' || cl.deliver0.length !== 2 || typeof cl._onError !== 'function' || typeof cl.duplicates !== 'object' || typeof cl.broker?.authorizeForward !== 'function') return false;
  let packets: (Packet0 | null)[] = [];
  let callbacks: Done[] = [];
  const flush = (): void => {
    const ready = packets;
    const done = callbacks;
    packets = [];
    callbacks = [];
    writeQoS0(cl, ready);
    for (const d of done) d();
  };
  cl.deliver0 = function deliverQoS0(packet: Packet0, done: Done): void {
    packets.push(forwardable(cl, packet));
    callbacks.push(done);
    if (packets.length === 1) setImmediate(flush);
  };
  return true;
}

/** The message to send, or null: aedes's getToForwardPacket (no-local, a message already delivered to this client, authorizeForward). */
function forwardable(cl: DeliveringClient, packet: Packet0): Packet0 | null {
  if (packet.nl && packet.clientId === cl.id) return null;
  const brokerId = packet.brokerId;
  if (brokerId) {
    const counter = packet.brokerCounter ?? 0;
    if (!((cl.duplicates[brokerId] ?? 0) < counter)) return null;
    cl.duplicates[brokerId] = counter;
  }
  return cl.broker.authorizeForward(cl, packet) || null;
}

/**
 * aedes's write of QoS 0 copies (only while connected, through the outgoing
 * rewrite; a failure ends the client), for a turn's deliveries at once: the
 * plain ones encoded into one buffer and written once, the others (MQTT 5
 * properties) by mqtt-packet in their place in the order.
 */
function writeQoS0(cl: DeliveringClient, packets: (Packet0 | null)[]): void {
  if (!cl.connecting && !cl.connected) {
    if (packets.some((p) => p !== null)) cl._onError(new Error('connection closed'));
    return;
  }
  const version = cl.version === 3 || cl.version === 5 ? cl.version : 4;
  const rewrite = (cl.conn as { [REWRITE]?: Rewrite })[REWRITE];
  const outs: AnyPacket[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (const packet of packets) {
    if (!packet) continue;
    const copy = { cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: 0, retain: packet.retain ?? false, dup: packet.dup ?? false, properties: packet.properties } as AnyPacket;
    const out = rewrite === undefined ? copy : rewrite(copy);
    const size = out.cmd === 'publish' ? plainPublishSize(out as unknown as PublishFields, version) : undefined;
    outs.push(out);
    sizes.push(size ?? -1);
    total += size ?? 0;
  }
  const conn = cl.conn as NodeJS.WritableStream;
  const buffer = Buffer.allocUnsafe(total);
  let from = 0;
  let at = 0;
  try {
    for (let i = 0; i < outs.length; i++) {
      if (sizes[i]! >= 0) {
        at = writePlainPublish(outs[i] as unknown as PublishFields, version, buffer, at);
        continue;
      }
      if (at > from) conn.write(buffer.subarray(from, at));
      from = at;
      originalWriteToStream(outs[i]!, conn, WRITE_OPTIONS[version]);
    }
    if (at > from) conn.write(buffer.subarray(from, at));
  } catch (err) {
    cl._onError(new Error('packet received not valid', { cause: err }));
  }
}

// ------------------------------------------------------------ inbound PUBLISH

/** The most of a cut plain frame kept for the next chunk. */
const KEPT_BYTES_MAX = 4096;

/** What readPlainPublishes uses of aedes's parser (mqtt-packet's). */
interface ChunkParser extends NodeJS.EventEmitter {
  parse(chunk: Buffer): number;
  settings?: { protocolVersion?: number };
  error?: unknown;
  packet?: { length?: number };
  _list?: { length: number };
  _stateCounter?: number;
}

/**
 * Reads the plain PUBLISH frames of each chunk the client receives itself and
 * emits them on aedes's parser as 'packet' (as the parser would, so the gate
 * and aedes see the same packets in the same order); the first frame it does
 * not read, and everything after it in the chunk, go to the parser. Only
 * while the parser holds no part of a packet; a plain frame cut by the end of
 * a chunk is kept and read with the next one. Returns false (aedes's parser
 * then reads everything) when the parser no longer looks as expected.
 */
export function readPlainPublishes(client: Client): boolean {
  const parser = (client as unknown as { _parser?: ChunkParser })._parser;
  if (typeof parser?.parse !== 'function' || typeof parser.emit !== 'function' || typeof parser._list?.length !== 'number' || typeof parser._stateCounter !== 'number' || parser.packet?.length !== -1) return false;
  const parse = parser.parse;
  const emit = (packet: object) => parser.emit('packet', packet);
  /** The start of a plain frame the last chunk ended in. */
  let kept: Buffer | undefined;
  parser.parse = function (this: ChunkParser, received: Buffer): number {
    const chunk = kept === undefined ? received : Buffer.concat([kept, received]);
    kept = undefined;
    const idle = !parser.error && parser._list!.length === 0 && parser._stateCounter === 0 && parser.packet?.length === -1;
    if (!idle || !Buffer.isBuffer(chunk)) return parse.call(parser, chunk);
    const stop = decodePlainPublishes(chunk, 0, parser.settings?.protocolVersion === 5, emit);
    if (stop.at === chunk.length) return 0;
    // A small cut frame is kept (a copy: the chunk need not stay in memory for it); a large one, which
    // may take many chunks to arrive, is left to the parser's buffer list rather than copied again at each.
    if (stop.partial && chunk.length - stop.at <= KEPT_BYTES_MAX) {
      kept = Buffer.from(chunk.subarray(stop.at));
      return kept.length;
    }
    return parse.call(parser, chunk.subarray(stop.at));
  };
  return true;
}
