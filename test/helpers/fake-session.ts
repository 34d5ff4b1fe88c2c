/**
 * An MqttSession that is no network: what runPub, runSub and runTail send is
 * recorded, and the test decides when (and whether) the broker answers. It
 * stands in for the one part those loops cannot own: the connection.
 */
import { ExitCode, IotctlError } from '../../src/core/errors.js';
import type { IncomingMessage, MqttSession, OutgoingMessage, QoS, SessionInfo } from '../../src/mqtt/types.js';

type Done = (error?: IotctlError) => void;

export interface FakeSessionOptions {
  info?: Partial<SessionInfo>;
  /** Acknowledge each message as soon as it is sent (default), or hold it until ack() (a slow broker). */
  autoAck?: boolean;
  /** Refuse these messages with this error (the broker's denial). */
  refuse?: (message: OutgoingMessage, index: number) => IotctlError | undefined;
  /** The QoS the broker grants, or an error to refuse the SUBSCRIBE with. */
  grant?: (filter: string, qos: QoS) => QoS | IotctlError;
}

export class FakeSession implements MqttSession {
  readonly info: SessionInfo;
  readonly sent: OutgoingMessage[] = [];
  readonly subscriptions: { filter: string; qos: QoS }[] = [];
  flushes = 0;
  disconnected = false;
  /** The most messages that were ever sent and not yet answered. */
  maxInFlight = 0;
  private held: Done[] = [];
  private messageHandler?: (m: IncomingMessage) => void;
  private lostHandler?: (e: IotctlError) => void;

  constructor(private readonly options: FakeSessionOptions = {}) {
    this.info = { clientId: 'fake-client', version: 3, endpoint: '127.0.0.1', port: 8883, auth: 'mtls', sessionPresent: false, ...options.info };
  }

  get closed(): boolean {
    return this.disconnected;
  }

  get inFlight(): number {
    return this.held.length;
  }

  send(message: OutgoingMessage, done: Done): void {
    const index = this.sent.length;
    this.sent.push(message);
    const refused = this.options.refuse?.(message, index);
    if (refused) return void queueMicrotask(() => done(refused));
    if (this.options.autoAck === false) {
      this.held.push(done);
      this.maxInFlight = Math.max(this.maxInFlight, this.held.length);
      return;
    }
    queueMicrotask(() => done());
  }

  publish(message: OutgoingMessage): Promise<void> {
    return new Promise((resolve, reject) => this.send(message, (e) => (e ? reject(e) : resolve())));
  }

  /** Answers the oldest `n` messages held (all by default). */
  ack(n = this.held.length): void {
    for (const done of this.held.splice(0, n)) done();
  }

  async flush(): Promise<void> {
    this.flushes++;
  }

  async subscribe(filter: string, qos: QoS): Promise<QoS> {
    const granted = this.options.grant?.(filter, qos) ?? qos;
    if (granted instanceof IotctlError) throw granted;
    this.subscriptions.push({ filter, qos });
    return granted;
  }

  onMessage(handler: (m: IncomingMessage) => void): void {
    this.messageHandler = handler;
  }

  onLost(handler: (e: IotctlError) => void): void {
    this.lostHandler = handler;
  }

  /** A PUBLISH from the broker. */
  deliver(topic: string, payload: string): void {
    this.messageHandler?.({ topic, payload: Buffer.from(payload), qos: 0, retain: false, receivedAt: Date.now() });
  }

  /** The connection drops: every message held fails, as the real sessions do. */
  lose(error = connectionLost()): void {
    for (const done of this.held.splice(0)) done(error);
    this.lostHandler?.(error);
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

export function connectionLost(): IotctlError {
  return new IotctlError('CONNECTION_LOST', 'The connection was lost.', { exitCode: ExitCode.CONNECTION });
}

export function denied(what: string): IotctlError {
  return new IotctlError('NOT_AUTHORIZED', `${what} was denied by the policy.`, { exitCode: ExitCode.DENIED, hint: 'iotctl policy test ...' });
}

/** Resolves once `check` holds, re-checking after each turn of the event loop (no fixed sleep). */
export async function until(check: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the condition never held');
}
