/**
 * One data-plane connection: who it is (decided before MQTT starts: the
 * client certificate, or the SigV4 signature of the WebSocket upgrade), its
 * policy decisions, and how its denials are logged.
 */
import type { Duplex } from 'node:stream';
import { topicMatches } from '../../core/topic.js';
import type { Arns } from '../arns.js';
import type { Authority } from '../authorization/authority.js';
import { principalName, type Principal } from '../authorization/principal.js';
import type { AuthLog, AuthLogEvent } from './auth-log.js';
import type { Outbound } from './outbound.js';

export type Transport = 'mqtts' | 'wss';

let nextId = 1;

/** Builds the ARNs policies are checked against, with this instance's region and account. */
export class Resources {
  private readonly prefix: string;
  constructor(arns: Arns) {
    this.prefix = `arn:aws:iot:${arns.region}:${arns.accountId}:`;
  }
  client(clientId: string): string {
    return `${this.prefix}client/${clientId}`;
  }
  topic(topic: string): string {
    return `${this.prefix}topic/${topic}`;
  }
  topicFilter(filter: string): string {
    return `${this.prefix}topicfilter/${filter}`;
  }
}

export class BrokerConnection {
  readonly id = nextId++;
  clientId: string | undefined;
  /** The CONNECT username without the SDK's `?SDK=...` metrics. */
  username: string | undefined;
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

  /** Logs a broken limit or protocol rule; with `throttle`, repeats within seconds are only counted. */
  refuse(reason: string, outcome: string, extra: Partial<AuthLogEvent> = {}, throttle?: string): void {
    this.log.write({ event: 'refused', ...this.describe(), ...extra, reason, outcome }, throttle === undefined ? undefined : `${this.id}\n${throttle}`);
  }

  /** Logs why the connection is being closed from outside (certificate revoked...). */
  disconnected(reason: string): void {
    this.log.write({ event: 'disconnected', ...this.describe(), reason, outcome: 'connection closed' });
  }
}
