/**
 * The data plane: an aedes broker (MQTT 3.1.1) behind two listeners, mutual
 * TLS and SigV4 WebSockets, with every operation authorized by the policy
 * evaluator (see hooks.ts). A connection's identity is settled before MQTT
 * starts; registry changes reach live connections: policy and attachment
 * changes at their next operation, a certificate leaving ACTIVE closes them.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import type { Arns, PrincipalKey } from '../arns.js';
import type { Authenticator } from '../auth.js';
import { Authority } from '../authorization/authority.js';
import { statementName, type CompiledPolicy } from '../../core/policy/index.js';
import type { Principal } from '../authorization/principal.js';
import { closeServer, listen, trackSockets } from '../listen.js';
import { ConnectionGuard, type ListenerLimits } from '../connection-guard.js';
import type { ChangeEvent } from '../store/registry.js';
import type { StateStore } from '../store/state.js';
import { guardEventWriter, type AuthLog, type AuthLogEntry } from './auth-log.js';
import { BrokerConnection, Resources, type Transport } from './connection.js';
import { createHooks, downgradeQos2, type SubscribeDeniedMode } from './hooks.js';
import type { RetainedStore } from './retained.js';
import { SessionStore } from './session-store.js';
import { createTlsListener } from './tls-listener.js';
import { createWsListener } from './ws-listener.js';
import { batchWrites } from './write-batching.js';
import { InboundFlow } from './inbound-flow.js';
import { MAX_PACKET_BYTES, mayRetain, packetSizeProblem } from './limits.js';
import { FrameScanner, PACKET_NAMES, scanInbound } from './mqtt-frames.js';
import { Outbound, type OutboundLimits } from './outbound.js';

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
  /** A denied SUBSCRIBE: SUBACK 0x80 for the filter (default) or close the connection. */
  subscribeDenied?: SubscribeDeniedMode;
  /** QoS 1 messages kept per offline persistent session (default 10,000). */
  maxQueuedPerSession?: number;
  /** How long a persistent session outlives its client (default 1 hour, as AWS). */
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

/** Who published a message that did not arrive over MQTT (the HTTPS data plane): for attribution only. */
export interface PublisherFacts {
  principal: Principal;
  transport: 'https';
  sourceIp?: string;
}

/** MQTT 5 PUBLISH properties, as the HTTPS data plane reads them from its headers and query. */
export interface MessageProperties {
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  /** true: the payload is UTF-8 (UTF8_DATA). */
  payloadFormatUtf8?: boolean;
  messageExpirySeconds?: number;
  userProperties?: [name: string, value: string][];
}

export interface PublishedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
  properties?: MessageProperties;
}

export interface Broker {
  mqttPort: number;
  wsPort: number;
  /** Connections admitted and still open. */
  connectionCount(): number;
  sessions: SessionStore;
  /**
   * Routes a message that did not come over MQTT exactly as an MQTT PUBLISH is
   * routed: retained store, offline persistent sessions (QoS 1), and every
   * subscriber's iot:Receive check. The caller has checked the topic, the
   * payload size and iot:Publish (and iot:RetainPublish) already. Resolves once
   * the broker has taken the message (what a PUBACK would say).
   */
  publishAs(publisher: PublisherFacts, message: PublishedMessage): Promise<void>;
  close(): Promise<void>;
}

/** mqtt-packet's names for the properties (MQTT 3.1.1 subscribers never see them). */
function packetProperties(p: MessageProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = p.correlationData;
  if (p.payloadFormatUtf8 !== undefined) out.payloadFormatIndicator = p.payloadFormatUtf8;
  if (p.messageExpirySeconds !== undefined) out.messageExpiryInterval = p.messageExpirySeconds;
  if (p.userProperties?.length) {
    const props: Record<string, string | string[]> = Object.create(null);
    for (const [name, value] of p.userProperties) {
      const prev = props[name];
      props[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    out.userProperties = props;
  }
  return out;
}

const SESSION_SWEEP_MS = 60_000;
/** Messages routed at once (aedes's default is 100); more per event-loop turn means fewer turns per message. */
const ROUTER_CONCURRENCY = 1000;

export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const { store, arns, log } = options;
  let generation = 0;
  const connections = new WeakMap<object, BrokerConnection>();
  const live = new Set<BrokerConnection>();
  const byCertificate = new Map<PrincipalKey, Set<BrokerConnection>>();
  /** Stored policy versions already reported as unreadable: once each. */
  const unreadablePolicies = new Set<string>();

  const sessions = new SessionStore({
    retained: options.retained,
    maxQueued: options.maxQueuedPerSession,
    sessionExpiryMs: options.sessionExpiryMs,
    now: options.now,
    pace: (client) => connectionOf(client as Client)?.outbound?.room(),
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
  const connectionOf = (client: Client) => connections.get(client.conn);
  // The router's queue, known once aedes exists; the hooks only need its length.
  const routerQueue = { length: 0 };
  const flow = new InboundFlow(routerQueue);
  const hooks = createHooks({ connectionOf, resources: new Resources(arns), subscribeDenied: options.subscribeDenied ?? 'suback', sessions, flow });
  const aedes = await Aedes.createBroker({ persistence: sessions, ...hooks, connectTimeout: 30_000, concurrency: ROUTER_CONCURRENCY });
  const mq = (aedes as unknown as { mq?: { length: number } }).mq;
  if (mq) Object.defineProperty(routerQueue, 'length', { get: () => mq.length });
  aedes.on('client', (client) => sessions.connected(client.id));
  aedes.on('clientDisconnect', (client) => {
    if (!client.clean) sessions.disconnected(client.id);
  });
  aedes.on('unsubscribe', (filters, client) => {
    const c = connectionOf(client);
    for (const f of filters) c?.revoked(f);
  });
  // Persistence failures arrive as 'error' (an EventEmitter throws on an unhandled one).
  (aedes as unknown as NodeJS.EventEmitter).on('error', (err: unknown) => options.logError?.('MQTT broker error', err));
  const sweep = setInterval(() => sessions.expire(), SESSION_SWEEP_MS);
  sweep.unref();

  function onChange(event: ChangeEvent): void {
    if (event.type === 'certificate') {
      if (event.status !== 'ACTIVE') closeCertificateConnections(`cert/${event.id}`, event.status);
      return;
    }
    // Policies, attachments, things, roles: every connection rebuilds its decisions at its next operation.
    generation++;
  }
  store.changes.on('change', onChange);

  function closeCertificateConnections(key: PrincipalKey, status: string): void {
    for (const c of byCertificate.get(key) ?? []) {
      c.disconnected(`the certificate was set ${status}`);
      c.conn.destroy();
    }
  }

  /** Says once per policy version which of its statements fail closed, and why. */
  function reportUnreadable(policy: CompiledPolicy): void {
    const key = `${policy.name}\n${policy.versionId ?? ''}`;
    if (unreadablePolicies.has(key)) return;
    unreadablePolicies.add(key);
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

  function admit(conn: Duplex, transport: Transport, principal: Principal, sourceIp: string | undefined, domainName: string | undefined, req?: IncomingMessage): void {
    const authority = new Authority(
      principal,
      { sourceIp, domainName },
      {
        registry: () => store.registry,
        arns,
        generation: () => generation,
        onUnreadable: reportUnreadable,
      },
    );
    const c = new BrokerConnection(conn, transport, authority, sourceIp, log, arns);
    connections.set(conn, c);
    live.add(c);
    const key = principal.kind === 'certificate' ? principal.key : undefined;
    if (key) {
      let set = byCertificate.get(key);
      if (!set) byCertificate.set(key, (set = new Set()));
      set.add(c);
    }
    conn.once('close', () => {
      live.delete(c);
      if (!key) return;
      const set = byCertificate.get(key);
      set?.delete(c);
      if (set?.size === 0) byCertificate.delete(key);
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
      stalled: (reason) => c.disconnected(`slow consumer: ${reason}`),
    });
    const client = aedes.handle(conn, req);
    if (!downgradeQos2(client)) options.logError?.('aedes internals changed: QoS 2 is no longer rewritten to QoS 1 before aedes sees it', undefined);
    scanInbound(conn, new FrameScanner(MAX_PACKET_BYTES), (problem) => {
      const reason = problem.kind === 'too-large' ? packetSizeProblem(PACKET_NAMES[problem.header.type]!, problem.header.length) : 'a packet header has a malformed remaining length';
      c.refuse(reason, 'connection closed as soon as the header was read');
      conn.destroy();
    });
  }

  const authFailed = (event: Omit<AuthLogEntry, 'event'>) => log.write({ event: 'auth-failed', ...event });
  const { certificatePem, privateKeyPem } = options.serverCertificate;
  const tlsServer = createTlsListener({
    key: privateKeyPem,
    cert: certificatePem,
    ca: options.caPem,
    registry: () => store.registry,
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

  async function publishAs(_publisher: PublisherFacts, message: PublishedMessage): Promise<void> {
    const packet = {
      cmd: 'publish' as const,
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain && mayRetain(message.topic),
      dup: false,
      ...(message.properties ? { properties: packetProperties(message.properties) } : {}),
    };
    if (packet.qos === 1) await sessions.prepare(packet);
    await new Promise<void>((resolve, reject) => flow.admit(() => aedes.publish(packet as never, (err?: Error) => (err ? reject(err) : resolve()))));
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(sweep);
      store.changes.off('change', onChange);
      const servers = Promise.all([closeServer(tlsServer, new Set()), closeServer(wsServer, new Set())]);
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of [...tlsSockets, ...wsSockets]) s.destroy();
      await servers;
      await sessions.destroy();
    })());

  try {
    const mqttPort = await listen(tlsServer, options.host, options.ports.mqtt, '--mqtt-port');
    const wsPort = await listen(wsServer, options.host, options.ports.ws, '--ws-port');
    return { mqttPort, wsPort, connectionCount: () => live.size, sessions, publishAs, close };
  } catch (err) {
    await close();
    throw err;
  }
}
