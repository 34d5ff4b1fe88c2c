/**
 * The connections admitted and still open: found by their aedes client (its
 * socket or stream), by certificate, so a certificate leaving ACTIVE closes
 * its live connections at once, and by client id, so the one a newer
 * connection takes over knows why it ends.
 */
import type { PrincipalKey } from '../arns.js';
import type { BrokerConnection } from './connection.js';
import type { Client } from './engine.js';

export class Connections {
  private readonly byStream = new WeakMap<object, BrokerConnection>();
  private readonly live = new Set<BrokerConnection>();
  private readonly byCertificate = new Map<PrincipalKey, Set<BrokerConnection>>();
  private readonly byClientId = new Map<string, BrokerConnection>();

  get size(): number {
    return this.live.size;
  }

  of(client: Client): BrokerConnection | undefined {
    return this.byStream.get(client.conn);
  }

  add(c: BrokerConnection): void {
    this.byStream.set(c.conn, c);
    this.live.add(c);
    const key = this.certificateKey(c);
    if (!key) return;
    let set = this.byCertificate.get(key);
    if (!set) this.byCertificate.set(key, (set = new Set()));
    set.add(c);
  }

  /** `c` was admitted with its client id: an older connection with the same id is being taken over. */
  claim(c: BrokerConnection): void {
    if (c.clientId === undefined) return;
    const older = this.byClientId.get(c.clientId);
    if (older && older !== c) older.ending('DUPLICATE_CLIENTID');
    this.byClientId.set(c.clientId, c);
  }

  remove(c: BrokerConnection): void {
    this.live.delete(c);
    if (c.clientId !== undefined && this.byClientId.get(c.clientId) === c) this.byClientId.delete(c.clientId);
    const key = this.certificateKey(c);
    const set = key ? this.byCertificate.get(key) : undefined;
    set?.delete(c);
    if (key && set?.size === 0) this.byCertificate.delete(key);
  }

  withCertificate(key: PrincipalKey): BrokerConnection[] {
    return [...(this.byCertificate.get(key) ?? [])];
  }

  private certificateKey(c: BrokerConnection): PrincipalKey | undefined {
    return c.principal.kind === 'certificate' ? c.principal.key : undefined;
  }
}
