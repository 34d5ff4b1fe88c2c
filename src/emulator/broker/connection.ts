/**
 * One data-plane connection: who it is (decided before MQTT starts: the
 * client certificate, or the SigV4 signature of the WebSocket upgrade), its
 * policy decisions, how its denials are logged, and the little MQTT state the
 * broker keeps beside aedes's (protocol version, what CONNACK must add, why
 * the connection ended).
 */
import type { Duplex } from 'node:stream';
import { topicMatches } from '../../core/topic.js';
import type { Arns } from '../arns.js';
import type { Authority } from '../authorization/authority.js';
import { principalName, type Principal } from '../authorization/principal.js';
import type { AuthLog, AuthLogEvent } from './auth-log.js';
import type { Client } from './engine.js';
import type { Outbound } from './outbound.js';

export type Transport = 'mqtts' | 'wss';

/** Why a connection ended, in AWS's lifecycle-event words (`disconnectReason`). */
export type DisconnectReason =
  | 'AUTH_ERROR'
  | 'CLIENT_ERROR'
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'CONNECTION_LOST'
  | 'DUPLICATE_CLIENTID'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'SERVER_INITIATED_DISCONNECT'
  | 'THROTTLED';

let nextId = 1;

/** Topic ARNs remembered; past it they start over (clients may walk endless topics). */
const TOPIC_ARNS_KEPT = 4096;

/** Builds the ARNs policies are checked against, with this instance's region and account. */
export class Resources {
  private readonly prefix: string;
  /**
   * Every PUBLISH and every delivery asks for its topic's ARN. The same string
   * each time, rather than a new concatenation that each decision cache lookup
   * (authority.ts) must flatten and hash again.
   */
  private readonly topics = new Map<string, string>();
  constructor(arns: Arns) {
    this.prefix = `arn:aws:iot:${arns.region}:${arns.accountId}:`;
  }
  client(clientId: string): string {
    return `${this.prefix}client/${clientId}`;
  }
  topic(topic: string): string {
    let arn = this.topics.get(topic);
    if (arn === undefined) {
      if (this.topics.size >= TOPIC_ARNS_KEPT) this.topics.clear();
      arn = `${this.prefix}topic/${topic}`;
      this.topics.set(topic, arn);
    }
    return arn;
  }
  topicFilter(filter: string): string {
    return `${this.prefix}topicfilter/${filter}`;
  }
  /** thing/<name>, or thing/<name>/<shadow name> for a named shadow (the shadow actions' resources). */
  thing(thingName: string, shadowName?: string): string {
    return `${this.prefix}thing/${thingName}${shadowName === undefined ? '' : `/${shadowName}`}`;
  }
}

export class BrokerConnection {
  readonly id = nextId++;
  clientId: string | undefined;
  /** The CONNECT username without the SDK's `?SDK=...` metrics. */
  username: string | undefined;
  /** 4 (MQTT 3.1.1) or 5, from the CONNECT packet. */
  protocolVersion: number | undefined;
  /** The aedes client serving this connection. */
  client: Client | undefined;
  /** MQTT 5: a client id the broker chose (the client sent an empty one), returned in CONNACK. */
  assignedClientId: string | undefined;
  /** MQTT 5: the keep-alive the broker uses when it is not the one asked for, returned in CONNACK. */
  serverKeepAlive: number | undefined;
  /** Why the connection ended (or will end), once known; CONNECTION_LOST otherwise. */
  endReason: DisconnectReason | undefined;
  /** The broker has sent DISCONNECT: what the client still sends is not read. */
  disconnecting = false;
  /** MQTT 5: QoS 1 PUBLISHes received and not acknowledged yet (Receive Maximum). */
  inflight = 0;
  /** MQTT 5: PUBACK reason codes other than aedes's 0x87, by packet id (see protocol.ts). */
  readonly pubackCodes = new Map<number, number>();
  /** SUBACKs to complete, by packet id: per filter as sent, its reason code, or the name aedes knows it by (see protocol.ts). */
  readonly subacks = new Map<number, ({ code: number } | { filter: string })[]>();
  /** Filters granted on this connection; only consulted when one ends in `/#` (see coveredByFilters). */
  readonly filters = new Set<string>();
  private parentWildcards = 0;
  /** What waits to be sent to the client, and what to do when it does not read (set by the broker). */
  outbound?: Outbound;

  constructor(
    readonly conn: Duplex,
    readonly transport: Transport,
    readonly authority: Authority,
    readonly sourceIp: string | undefined,
    private readonly log: AuthLog,
    private readonly arns: Arns,
  ) {}

  get principal(): Principal {
    return this.authority.principal;
  }

  get isMqtt5(): boolean {
    return this.protocolVersion === 5;
  }

  /** Records why the connection ends; the first reason given wins. */
  ending(reason: DisconnectReason): void {
    this.endReason ??= reason;
  }

  granted(filter: string): void {
    if (this.filters.has(filter)) return;
    this.filters.add(filter);
    if (filter.endsWith('/#')) this.parentWildcards++;
  }

  revoked(filter: string): void {
    if (!this.filters.delete(filter)) return;
    if (filter.endsWith('/#')) this.parentWildcards--;
  }

  /**
   * aedes (like the MQTT spec) delivers `a` to `a/#`; AWS IoT does not. When
   * a `/#` filter is granted, a delivery needs a filter that matches with AWS
   * semantics. Cheap in the common case: no `/#` filter, no scan.
   */
  coveredByFilters(topic: string): boolean {
    if (this.parentWildcards === 0) return true;
    for (const f of this.filters) if (topicMatches(f, topic)) return true;
    return false;
  }

  /** Who, for log lines. */
  describe(): Pick<AuthLogEvent, 'transport' | 'sourceIp' | 'clientId' | 'principal' | 'principalKind'> {
    const p = this.principal;
    const kind: AuthLogEvent['principalKind'] = p.kind === 'cognito' ? (p.authenticated ? 'cognito-authenticated' : 'cognito-unauthenticated') : p.kind;
    const out: ReturnType<BrokerConnection['describe']> = { transport: this.transport, principal: principalName(p, this.arns), principalKind: kind };
    if (this.sourceIp !== undefined) out.sourceIp = this.sourceIp;
    if (this.clientId !== undefined) out.clientId = this.clientId;
    return out;
  }

  /** Whether the action is allowed; a denial is logged with its explanation. */
  check(action: string, resource: string, outcome: string, throttle = false): boolean {
    if (this.authority.allowed(action, resource)) return true;
    const r = this.authority.report(action, resource);
    this.log.write(
      {
        event: 'denied',
        ...this.describe(),
        action,
        resource,
        decision: r.decision,
        reason: r.reason,
        deciding: r.deciding,
        missingVariables: r.missingVariables,
        policies: r.policies,
        outcome,
      },
      throttle ? `${this.id}\n${action}\n${resource}` : undefined,
    );
    return false;
  }

  /** The sentence that explains a denial (for an MQTT 5 reason string). */
  whyDenied(action: string, resource: string): string {
    return this.authority.report(action, resource).reason;
  }

  /** Logs a broken limit or protocol rule; with `throttle`, repeats within seconds are only counted. */
  refuse(reason: string, outcome: string, extra: Partial<AuthLogEvent> = {}, throttle?: string): void {
    this.log.write({ event: 'refused', ...this.describe(), ...extra, reason, outcome }, throttle === undefined ? undefined : `${this.id}\n${throttle}`);
  }

  /** Logs why the connection is being closed from outside (certificate revoked...). */
  disconnected(reason: string, outcome = 'connection closed'): void {
    this.log.write({ event: 'disconnected', ...this.describe(), reason, outcome });
  }
}
