/**
 * The data plane: an MQTT broker (aedes, behind engine.ts) speaking MQTT
 * 3.1.1 and 5 as AWS IoT Core does, behind two listeners, mutual TLS and
 * SigV4 WebSockets, with every operation authorized by the policy evaluator
 * (hooks.ts). A connection's identity is settled before MQTT starts;
 * registry changes reach live connections: policy and attachment changes at
 * their next operation, a certificate leaving ACTIVE closes them.
 *
 * startBroker runs the steps below in order: persistent sessions, the
 * engine and its hooks, what the broker follows of the engine and of the
 * registry, then the listeners that admit connections.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';
import { ReasonCode, reasonText } from '../../core/reason-codes.js';
import { statementName, type CompiledPolicy } from '../../core/policy/index.js';
import type { Arns } from '../arns.js';
import type { Authenticator } from '../auth.js';
import { Authority } from '../authorization/authority.js';
import type { Principal } from '../authorization/principal.js';
import { closeServer, listen, trackSockets } from '../listen.js';
import { ConnectionGuard, type ListenerLimits } from '../connection-guard.js';
import type { ChangeEvent } from '../store/registry.js';
import type { StateStore } from '../store/state.js';
import { guardEventWriter, type AuthLog, type AuthLogEntry } from './auth-log.js';
import { BrokerConnection, Resources, type Transport } from './connection.js';
import { Connections } from './connections.js';
import { batchQoS0Deliveries, readPlainPublishes, routerQueue, startEngine, type Client } from './engine.js';
import { createHooks, type SubscribeDeniedMode } from './hooks.js';
import { InboundFlow } from './inbound-flow.js';
import { LifecycleEvents } from './lifecycle.js';
import { MAX_PACKET_BYTES, MQTT5_RECEIVE_MAXIMUM, MQTT5_TOPIC_ALIAS_MAXIMUM, packetSizeProblem } from './limits.js';
import { FrameScanner, PACKET_NAMES, scanInbound, type FrameProblem } from './mqtt-frames.js';
import { Outbound, type OutboundLimits } from './outbound.js';
import { speakAwsMqtt } from './protocol.js';
import { publishAs, type PublishedMessage, type PublisherFacts } from './publish.js';
import type { RetainedStore } from './retained.js';
import { DEFAULT_SESSION_EXPIRY_MS, SessionStore } from './session-store.js';
import { SharedSubscriptions, filterAsSent, isSharedKey } from './shared.js';
import { createTlsListener } from './tls-listener.js';
import { createWsListener } from './ws-listener.js';
import { batchWrites } from './write-batching.js';

export type { PublishedMessage, PublisherFacts, MessageProperties } from './publish.js';

export interface BrokerOptions {
  host: string;
  ports: { mqtt: number; ws: number };
  store: StateStore;
  arns: Arns;
  serverCertificate: { certificatePem: string; privateKeyPem: string };
  /** The local CA, named in the TLS certificate request. */
  caPem: string;
  authenticator: Authenticator;
  retained: RetainedStore;
  log: AuthLog;
  /** A denied SUBSCRIBE on MQTT 3.1.1: SUBACK 0x80 for the filter (default) or close the connection. */
  subscribeDenied?: SubscribeDeniedMode;
  /** QoS 1 messages kept per offline persistent session (default 10,000). */
  maxQueuedPerSession?: number;
  /** How long a persistent session outlives its client (default 1 hour, as AWS); MQTT 5 clients may ask for less. */
  sessionExpiryMs?: number;
  /** Where persistent sessions are kept across restarts; in memory only without. */
  sessionFiles?: { snapshot: string; journal: string };
  /** Handshake and authentication deadlines, and the cap on connections waiting for them. */
  listenerLimits: ListenerLimits;
  /** What may wait to be sent to one subscriber. */
  outboundLimits: OutboundLimits;
  now: () => number;
  logError?: (message: string, err: unknown) => void;
}

export interface Broker {
  mqttPort: number;
  wsPort: number;
  /** Connections admitted and still open. */
  connectionCount(): number;
  sessions: SessionStore;
  /**
   * Routes a message that did not come over MQTT exactly as an MQTT PUBLISH is
   * routed: retained store, offline persistent sessions (QoS 1), every
   * subscriber's iot:Receive check, and the MQTT 5 properties (message expiry
   * within AWS's bounds). The caller has checked the topic, the payload size
   * and iot:Publish (and iot:RetainPublish) already. Resolves once the broker
   * has taken the message (what a PUBACK would say).
   */
  publishAs(publisher: PublisherFacts, message: PublishedMessage): Promise<void>;
  /**
   * Hands `handler` every message on a topic `filter` matches, once the broker
   * has taken it: an MQTT PUBLISH after iot:Publish allowed it, or a message
   * of publishAs. This is how an AWS service behind the broker (the Device
   * Shadow) hears its requests; it answers with publishAs. Returns a
   * function that stops it.
   */
  serve(filter: string, handler: (message: { topic: string; payload: Buffer }) => void): () => void;
  close(): Promise<void>;
}

const SESSION_SWEEP_MS = 60_000;
/** Messages routed at once (aedes's default is 100); more per event-loop turn means fewer turns per message. */
const ROUTER_CONCURRENCY = 1000;

export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const connections = new Connections();
  const sessions = await openSessions(options, connections);
  const { aedes, flow, shared } = await startMqttEngine(options, connections, sessions);
  const events = new LifecycleEvents((topic, payload) => {
    if (!aedes.closed) aedes.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, () => {});
  }, options.now);
  followEngine(aedes, connections, sessions, shared, events, options.logError);
  const registry = followRegistry(options, connections);
  const admit = admission(options, aedes, connections, shared, registry);
  const listeners = createListeners(options, admit);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      registry.stop();
      await listeners.close(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
      await sessions.destroy();
    })());

  try {
    const { mqttPort, wsPort } = await listeners.listen();
    return {
      mqttPort,
      wsPort,
      connectionCount: () => connections.size,
      sessions,
      publishAs: (publisher, message) => publishAs(aedes, flow, sessions, publisher, message),
      serve: (filter, handler) => serve(aedes, filter, handler),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** An in-process subscription of aedes's: no client, no hooks, so no policy (the PUBLISH was authorized on its way in). */
function serve(aedes: Aedes, filter: string, handler: (message: { topic: string; payload: Buffer }) => void): () => void {
  const listener = (packet: { topic: string; payload: Buffer | string }, done: () => void) => {
    done();
    handler({ topic: packet.topic, payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload });
  };
  aedes.subscribe(filter, listener as never, () => {});
  return () => {
    if (!aedes.closed) aedes.unsubscribe(filter, listener as never, () => {});
  };
}

// ------------------------------------------------------------------ steps

/** Persistent sessions (on disk when there are files), swept for expiry every minute. */
async function openSessions(options: BrokerOptions, connections: Connections): Promise<SessionStore> {
  const { log } = options;
  const sessions = new SessionStore({
    retained: options.retained,
    maxQueued: options.maxQueuedPerSession,
    sessionExpiryMs: options.sessionExpiryMs,
    now: options.now,
    pace: (client) => connections.of(client as Client)?.outbound?.room(),
    onError: (err) => options.logError?.('persistent sessions could not be written to disk', err),
    onOverflow: (clientId, max) =>
      log.write({
        event: 'refused',
        clientId,
        reason: `the persistent session already holds ${max} undelivered QoS 1 messages`,
        outcome: 'newer messages are not kept for it while it is offline',
      }),
  });
  if (options.sessionFiles) await sessions.persistIn(options.sessionFiles.snapshot, options.sessionFiles.journal);
  const sweep = setInterval(() => sessions.expire(), SESSION_SWEEP_MS);
  sweep.unref();
  const destroy = sessions.destroy.bind(sessions);
  sessions.destroy = () => (clearInterval(sweep), destroy());
  return sessions;
}

/** aedes with AWS IoT Core's hooks and MQTT 5 limits, backpressure for publishers, and shared subscriptions. */
async function startMqttEngine(options: BrokerOptions, connections: Connections, sessions: SessionStore) {
  // The router's queue, known once aedes exists; the flow only needs its length.
  const queue = { length: 0 };
  const flow = new InboundFlow(queue);
  let engine: Aedes | undefined;
  const shared = new SharedSubscriptions<BrokerConnection>(
    {
      subscribe: (filter, listener, done) => engine!.subscribe(filter, listener as never, done),
      unsubscribe: (filter, listener, done) => engine!.unsubscribe(filter, listener as never, done),
    },
    (member, key, packet, done) => hooks.deliverShared(member, key, packet, done),
  );
  const hooks = createHooks({
    connectionOf: (client) => connections.of(client),
    resources: new Resources(options.arns),
    subscribeDenied: options.subscribeDenied ?? 'suback',
    sessions,
    shared,
    flow,
    admitted: (c) => connections.claim(c),
  });
  const { deliverShared: _deliverShared, ...aedesHooks } = hooks;
  const aedes = (engine = await startEngine({
    ...aedesHooks,
    persistence: sessions,
    concurrency: ROUTER_CONCURRENCY,
    topicAliasMaximum: MQTT5_TOPIC_ALIAS_MAXIMUM,
    receiveMaximum: MQTT5_RECEIVE_MAXIMUM,
    sessionExpiryLimitSeconds: Math.floor((options.sessionExpiryMs ?? DEFAULT_SESSION_EXPIRY_MS) / 1000),
  }));
  const router = routerQueue(aedes);
  if (router) Object.defineProperty(queue, 'length', { get: () => router.length });
  else options.logError?.('aedes internals changed: its router queue is gone, so fast publishers are no longer slowed down', undefined);
  return { aedes, flow, shared };
}

/** What the broker follows of aedes: sessions coming and going, lifecycle events, subscriptions ended. */
function followEngine(
  aedes: Aedes,
  connections: Connections,
  sessions: SessionStore,
  shared: SharedSubscriptions<BrokerConnection>,
  events: LifecycleEvents,
  logError?: (message: string, err: unknown) => void,
): void {
  aedes.on('client', (client) => sessions.connected(client.id));
  aedes.on('connackSent', (connack: { reasonCode?: number; returnCode?: number }, client: Client) => {
    const c = connections.of(client);
    if (c && (connack.reasonCode ?? connack.returnCode) === 0) events.connected(c);
  });
  aedes.on('clientDisconnect', (client) => {
    if (!client.clean) sessions.disconnected(client.id, client.version === 5 ? client.sessionExpiryInterval : undefined);
    const c = connections.of(client);
    if (c && !aedes.closed) events.disconnected(c);
  });
  aedes.on('keepaliveTimeout', (client) => connections.of(client)?.ending('MQTT_KEEP_ALIVE_TIMEOUT'));
  aedes.on('subscribe', (subs, client) => {
    const c = connections.of(client);
    if (c) events.subscriptions(c, 'subscribed', subs.filter((s) => s.qos < 0x80).map((s) => filterAsSent(s.topic)));
  });
  aedes.on('unsubscribe', (filters, client) => {
    const c = connections.of(client);
    if (!c) return;
    for (const f of filters) {
      if (isSharedKey(f)) shared.leave(c, f);
      else c.revoked(f);
    }
    // aedes also "unsubscribes" a closing client from everything: that is no UNSUBSCRIBE.
    if (!client.closed) events.subscriptions(c, 'unsubscribed', filters.map(filterAsSent));
  });
  // Persistence failures arrive as 'error' (an EventEmitter throws on an unhandled one).
  (aedes as unknown as NodeJS.EventEmitter).on('error', (err: unknown) => logError?.('MQTT broker error', err));
}

/**
 * What the broker follows of the registry: policy, attachment, thing and
 * role changes make every connection rebuild its decisions at its next
 * operation (a generation count); a certificate leaving ACTIVE closes its
 * connections now (MQTT 5: DISCONNECT 0x87 first). Unreadable stored policies
 * are reported once per version.
 */
function followRegistry(options: BrokerOptions, connections: Connections) {
  const { store, log } = options;
  let generation = 0;
  const unreadable = new Set<string>();

  function onChange(event: ChangeEvent): void {
    if (event.type !== 'certificate') {
      generation++;
      return;
    }
    if (event.status === 'ACTIVE') return;
    const reason = `the certificate was set ${event.status}`;
    for (const c of connections.withCertificate(`cert/${event.id}`)) {
      c.ending('AUTH_ERROR');
      if (c.isMqtt5 && c.client?.connected) {
        c.disconnected(reason, `DISCONNECT ${reasonText(ReasonCode.NotAuthorized, 'DISCONNECT')}, connection closed`);
        c.client.disconnect({ reasonCode: ReasonCode.NotAuthorized, properties: { reasonString: reason } });
      } else {
        c.disconnected(reason);
        c.conn.destroy();
      }
    }
  }
  store.changes.on('change', onChange);

  /** Says once per policy version which of its statements fail closed, and why. */
  function reportUnreadable(policy: CompiledPolicy): void {
    const key = `${policy.name}\n${policy.versionId ?? ''}`;
    if (unreadable.has(key)) return;
    unreadable.add(key);
    for (const s of policy.statements) {
      if (s.unreadable === undefined) continue;
      log.write({
        event: 'policy-unreadable',
        principalKind: 'unknown',
        policies: [policy.name],
        reason: `${statementName({ policyName: policy.name, policyVersionId: policy.versionId, statementIndex: s.index, sid: s.sid })} cannot be evaluated: ${s.unreadable}`,
        outcome: s.effect === 'Deny' ? 'enforced fail-closed: this Deny applies to every request its actions cover' : 'enforced fail-closed: this Allow grants nothing',
      });
    }
  }

  return {
    generation: () => generation,
    reportUnreadable,
    stop: () => store.changes.off('change', onChange),
  };
}

type Admit = (conn: Duplex, transport: Transport, principal: Principal, sourceIp: string | undefined, domainName: string | undefined, req?: IncomingMessage) => void;

/** Admits an authenticated connection: its policy decisions, its outbound budget, aedes, AWS's protocol rules, and the packet-size guard. */
function admission(options: BrokerOptions, aedes: Aedes, connections: Connections, shared: SharedSubscriptions<BrokerConnection>, registry: ReturnType<typeof followRegistry>): Admit {
  const { store, arns, log } = options;
  const resources = new Resources(arns);
  let reportedInternals = false;
  const internalsChanged = () => {
    if (!reportedInternals) options.logError?.("aedes internals changed: its parser can no longer be gated, so AWS's MQTT rules (QoS 2, shared subscriptions, reason codes) are not applied", undefined);
    reportedInternals = true;
  };

  return (conn, transport, principal, sourceIp, domainName, req) => {
    const authority = new Authority(
      principal,
      { sourceIp, domainName },
      { registry: () => store.registry, arns, generation: registry.generation, onUnreadable: registry.reportUnreadable },
    );
    const c = new BrokerConnection(conn, transport, authority, sourceIp, log, arns);
    connections.add(c);
    conn.once('close', () => {
      connections.remove(c);
      shared.leaveAll(c);
    });
    batchWrites(conn);
    c.outbound = new Outbound(conn, options.outboundLimits, options.now, {
      dropped: (queued) =>
        c.refuse(
          `the client is not reading fast enough: ${Math.round(queued / 1024)} KiB are already waiting to be sent to it (AWS IoT allows 512 KiB/s per connection)`,
          'QoS 0 message not delivered',
          {},
          'slow consumer',
        ),
      stalled: (reason) => {
        c.ending('THROTTLED');
        c.disconnected(`slow consumer: ${reason}`);
      },
    });
    const client = (c.client = aedes.handle(conn, req));
    if (!speakAwsMqtt(c, client, resources)) internalsChanged();
    // When aedes's client no longer looks as expected, its own (slower) QoS 0 delivery and parsing stay.
    batchQoS0Deliveries(client);
    readPlainPublishes(client);
    scanInbound(conn, new FrameScanner(MAX_PACKET_BYTES), (problem) => refuseOversized(c, problem));
  };
}

/** A packet header declared too much (or nonsense): MQTT 5 gets DISCONNECT 0x95, 3.1.1 a closed connection, before the body is read. */
function refuseOversized(c: BrokerConnection, problem: FrameProblem): void {
  const reason = problem.kind === 'too-large' ? packetSizeProblem(PACKET_NAMES[problem.header.type]!, problem.header.length) : 'a packet header has a malformed remaining length';
  c.ending('CLIENT_ERROR');
  const client = c.client;
  if (problem.kind === 'too-large' && c.isMqtt5 && client?.connected) {
    c.refuse(reason, `DISCONNECT ${reasonText(ReasonCode.PacketTooLarge, 'DISCONNECT')}, connection closed as soon as the header was read`);
    client.disconnect({ reasonCode: ReasonCode.PacketTooLarge, properties: { reasonString: reason } });
    setTimeout(() => c.conn.destroy(), 2000).unref();
    return;
  }
  c.refuse(reason, 'connection closed as soon as the header was read');
  c.conn.destroy();
}

/** The MQTT over mutual TLS and MQTT over WebSocket listeners, each behind a connection guard. */
function createListeners(options: BrokerOptions, admit: Admit) {
  const { log } = options;
  const authFailed = (event: Omit<AuthLogEntry, 'event'>) => log.write({ event: 'auth-failed', ...event });
  const { certificatePem, privateKeyPem } = options.serverCertificate;
  const tlsServer = createTlsListener({
    key: privateKeyPem,
    cert: certificatePem,
    ca: options.caPem,
    registry: () => options.store.registry,
    now: options.now,
    admit: (socket, principal, ip, domain) => {
      tlsGuard.authenticated(socket);
      admit(socket, 'mqtts', principal, ip, domain);
    },
    authFailed,
  });
  const wsServer = createWsListener({
    key: privateKeyPem,
    cert: certificatePem,
    limits: options.listenerLimits,
    authenticator: options.authenticator,
    admit: (stream, principal, ip, domain, req) => {
      wsGuard.authenticated(req.socket);
      admit(stream, 'wss', principal, ip, domain, req);
    },
    authFailed,
    logError: options.logError,
  });
  const tlsGuard = new ConnectionGuard(tlsServer, 'MQTT', options.listenerLimits, guardEventWriter(log, 'mqtts'));
  const wsGuard = new ConnectionGuard(wsServer, 'WebSocket', options.listenerLimits, guardEventWriter(log, 'wss'));
  const tlsSockets = trackSockets(tlsServer);
  const wsSockets = trackSockets(wsServer);

  return {
    async listen() {
      const mqttPort = await listen(tlsServer, options.host, options.ports.mqtt, '--mqtt-port');
      const wsPort = await listen(wsServer, options.host, options.ports.ws, '--ws-port');
      return { mqttPort, wsPort };
    },
    /** Stops accepting, lets `closeEngine` say goodbye to the clients (MQTT 5: DISCONNECT 0x8B), then drops what is left. */
    async close(closeEngine: () => Promise<void>) {
      const servers = Promise.all([closeServer(tlsServer, new Set()), closeServer(wsServer, new Set())]);
      await closeEngine();
      for (const s of [...tlsSockets, ...wsSockets]) s.destroy();
      await servers;
    },
  };
}
