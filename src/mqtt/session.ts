/**
 * connectSession(spec): checks the local TLS material, loads the device SDK
 * (lazily), connects within the timeout, and returns an MqttSession whose
 * failures are already diagnosed (diagnostics.ts). The same function serves
 * the CLI and the tests against mosquitto and the local IoT Core.
 */
import { ExitCode, IotctlError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import {
  connectFailure,
  connectionLost,
  crtErrorName,
  connectTimeout,
  isHangup,
  isTlsError,
  likelyDenied,
  refused,
  tlsFailure,
  unsupportedVersion,
  type DenialContext,
  type Operation,
  type Where,
} from './diagnostics.js';
import { loadDriver } from './drivers.js';
import { checkTlsMaterial, type TlsMaterial } from './preflight.js';
import { isFailure } from '../core/reason-codes.js';
import type { ProbeResult } from './tls-probe.js';
import type { Driver, DriverEvents, DriverFailure } from './driver.js';
import type { ConnectionSpec, IncomingMessage, MqttSession, OutgoingMessage, QoS, SessionInfo, SessionOptions } from './types.js';

/** How long a failed operation waits for the loss event that explains it. */
const LOSS_REPORT_WAIT_MS = 2000;

/** The device SDK's errors for operations cut off by a lost connection. */
function isConnectionGone(err: unknown): boolean {
  const name = crtErrorName(err);
  return name === 'AWS_ERROR_MQTT_CANCELLED_FOR_CLEAN_SESSION' || name === 'AWS_ERROR_MQTT_NOT_CONNECTED' || name === 'AWS_ERROR_MQTT_CONNECTION_DESTROYED' || isHangup(name);
}

/** How long after the first publish a hang-up still reads as "that publish was denied". */
const PUBLISH_DENIAL_WINDOW_MS = 5000;

/** The ALPN protocol the SDK offers on mutual TLS (AWS IoT requires it on port 443). */
const MTLS_ALPN = ['x-amzn-mqtt-ca'];

export async function connectSession(spec: ConnectionSpec, options: SessionOptions = {}): Promise<MqttSession> {
  const material = await checkTlsMaterial(spec.auth === 'mtls' ? { certFile: spec.certFile, keyFile: spec.keyFile, caFile: spec.caFile } : { caFile: spec.caFile });
  if (spec.auth === 'mtls' && !material.certPem) {
    throw new IotctlError('CERT_AND_KEY_REQUIRED', 'Mutual TLS needs a client certificate and its private key.', {
      exitCode: ExitCode.USAGE,
      hint: 'pass --cert and --key, or --device <folder> (from iotctl provision), or use --auth sigv4',
    });
  }
  if (spec.auth === 'sigv4' && (!spec.credentials || !spec.region)) {
    throw new IotctlError('SIGV4_INCOMPLETE', 'SigV4 needs credentials and a region.', { exitCode: ExitCode.USAGE, hint: 'pass --region, or set region in the profile' });
  }
  for (const warning of material.warnings ?? []) options.warn?.(warning);
  const driver = await loadDriver(spec.driver, options.log);
  if (options.sdkLogging) driver.enableSdkLogging(spec.auth);
  const session = new Session(spec, material, options);
  await session.open((events) => driver.createDriver(spec, material, events));
  return session;
}

class Session implements MqttSession {
  info!: SessionInfo;
  closed = false;
  private driver?: Driver;
  private messageHandler?: (m: IncomingMessage) => void;
  private lostHandlers: ((e: IotctlError) => void)[] = [];
  private lostError?: IotctlError;
  /** Subscribes and flushes waiting for the broker, failed together when the connection drops. */
  private waiting = new Set<(e: IotctlError) => void>();
  /** Publishes waiting for the broker, by sequence number; each callback runs exactly once. */
  private pending = new Map<number, (e?: IotctlError) => void>();
  private sequence = 0;
  private pendingSubscribe?: { filter: string };
  private firstPublishAt = 0;
  private lastPublish?: { topic: string; retain: boolean };
  /** Publishes the broker has confirmed it handled (PUBACK, or a flush after them): a later hang-up is not about them. */
  private confirmed = 0;

  constructor(
    readonly spec: ConnectionSpec,
    private readonly material: TlsMaterial,
    private readonly options: SessionOptions,
  ) {}

  private get where(): Where {
    return { endpoint: this.spec.endpoint, port: this.spec.port, caFile: this.spec.caFile };
  }

  private denial(extra: Partial<DenialContext> = {}): DenialContext {
    const principal = this.spec.principal ?? this.material.certificateId;
    const named = this.spec.checkWith?.some((w) => w === '--device' || w === '--principal');
    const checkWith = principal && !named ? [...(this.spec.checkWith ?? []), '--principal', principal] : this.spec.checkWith;
    return { clientId: this.spec.clientId, auth: this.spec.auth, mqtt: this.spec.mqtt, principal, checkWith, ...extra };
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  async open(make: (events: DriverEvents) => Driver): Promise<void> {
    const { spec } = this;
    let driver: Driver;
    try {
      driver = make({ message: (m) => this.messageHandler?.(m), lost: (f) => this.dropped(f) });
    } catch (err) {
      // The SDK checks certificate and key only when it builds its TLS context.
      throw new IotctlError('TLS_CONTEXT', `The device SDK refused the TLS material: ${(err as Error).message}`, { exitCode: ExitCode.USAGE, cause: err });
    }
    this.driver = driver;
    const started = performance.now();
    this.log(`connecting to ${spec.endpoint}:${spec.port} (MQTT ${spec.mqtt === 5 ? '5' : '3.1.1'}, ${spec.auth}) as ${spec.clientId}`);
    const outcome = await this.race(driver);
    if (outcome.kind !== 'connected') {
      // A connect attempt cannot be cancelled; the process exits without waiting for it (cli/main.ts).
      if (outcome.kind !== 'failed') driver.abandon();
      this.closed = true;
      throw outcome.error;
    }
    this.log(`connected in ${formatDuration(performance.now() - started)}`);
    this.info = { clientId: spec.clientId, version: spec.mqtt, endpoint: spec.endpoint, port: spec.port, auth: spec.auth, sessionPresent: outcome.sessionPresent };
  }

  /**
   * CONNACK, or the first of: failure (diagnosed), --connect-timeout, Ctrl-C,
   * or a TLS probe that names the problem while the SDK is still at it.
   */
  private race(driver: Driver): Promise<{ kind: 'connected'; sessionPresent: boolean } | { kind: 'failed' | 'abandoned'; error: IotctlError }> {
    const { spec } = this;
    return new Promise((resolve) => {
      let done = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (r: Parameters<typeof resolve>[0]) => {
        if (done) return;
        done = true;
        timers.forEach(clearTimeout);
        this.options.signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onAbort = () => finish({ kind: 'abandoned', error: new IotctlError('INTERRUPTED', 'Interrupted while connecting.', { exitCode: ExitCode.INTERRUPTED }) });
      if (this.options.signal?.aborted) return onAbort();
      this.options.signal?.addEventListener('abort', onAbort, { once: true });

      timers.push(setTimeout(() => finish({ kind: 'abandoned', error: connectTimeout(this.where, spec.connectTimeoutMs) }), spec.connectTimeoutMs));
      // A bad server certificate takes the SDK 10-30 s to report; node:tls names it at once.
      const probeAfter = Math.min(1500, spec.connectTimeoutMs / 2);
      timers.push(
        setTimeout(() => {
          void this.probe().then((r) => {
            if (!r.ok && r.cause !== 'network') finish({ kind: 'abandoned', error: tlsFailure(r.cause, this.where, r.detail) });
          });
        }, probeAfter),
      );

      driver.connect().then(
        (r) => finish({ kind: 'connected', sessionPresent: r.sessionPresent }),
        (f: DriverFailure) => {
          if (done) return;
          void this.diagnoseConnect(f).then((error) => finish({ kind: 'failed', error }));
        },
      );
    });
  }

  private async probe(): Promise<ProbeResult> {
    const { spec, material } = this;
    this.log('probing TLS with node:tls');
    // Loaded only when needed: node:tls costs a few ms of every start.
    const { probeTls } = await import('./tls-probe.js');
    return probeTls({
      host: spec.endpoint,
      port: spec.port,
      caPem: material.caPem,
      certPem: spec.auth === 'mtls' ? material.certPem : undefined,
      keyPem: spec.auth === 'mtls' ? material.keyPem : undefined,
      alpn: spec.auth === 'mtls' ? MTLS_ALPN : undefined,
      timeoutMs: 3000,
    });
  }

  private async diagnoseConnect(f: DriverFailure): Promise<IotctlError> {
    const { spec } = this;
    this.log(`connect failed: ${f.message}`);
    if (f.credentialsError !== undefined) {
      const { toIotctlError } = await import('../aws/errors.js');
      return toIotctlError(f.credentialsError);
    }
    if (f.connack?.code === 0x84) return unsupportedVersion(this.where);
    if (f.connack) return refused('connect', this.denial(), f.connack.code, 'CONNACK', f.connack.reasonString);
    if (isHangup(f.name)) return likelyDenied('connect', this.denial());
    // A 3.1.1 CONNACK refusal: the SDK reports it as a protocol error and drops the return code.
    if (spec.mqtt === 3 && f.name === 'AWS_ERROR_MQTT_PROTOCOL_ERROR') {
      const e = likelyDenied('connect', this.denial());
      return new IotctlError('CONNECT_REFUSED', `The server refused CONNECT for client id "${spec.clientId}": most likely not authorized (or the client id was rejected).`, {
        exitCode: ExitCode.DENIED,
        hint: e.hint,
      });
    }
    if (isTlsError(f.name)) {
      const r = await this.probe();
      if (!r.ok && r.cause !== 'network') return tlsFailure(r.cause, this.where, r.detail);
      return tlsFailure(spec.auth === 'mtls' ? 'client-cert-refused' : 'handshake', this.where, f.name);
    }
    return connectFailure(f.name, f.message, this.where, spec.auth);
  }

  /** After CONNACK: the connection dropped. Blame the operation it most likely answers. */
  private dropped(f: DriverFailure): void {
    if (this.closed) return;
    this.closed = true;
    let error: IotctlError;
    const now = performance.now();
    if (f.disconnect) error = connectionLost(this.where, f.message, f.disconnect);
    else if (this.pendingSubscribe) error = likelyDenied('subscribe', this.denial({ topic: this.pendingSubscribe.filter }));
    else if (this.lastPublish && this.confirmed === 0 && now - this.firstPublishAt < PUBLISH_DENIAL_WINDOW_MS) {
      error = likelyDenied('publish', this.denial({ topic: this.lastPublish.topic, retain: this.lastPublish.retain }), now - this.firstPublishAt);
    } else error = connectionLost(this.where, f.name ?? f.message);
    this.log(`connection lost: ${f.message}`);
    this.lostError = error;
    this.failPending(error);
    for (const h of this.lostHandlers) h(error);
  }

  publish(m: OutgoingMessage): Promise<void> {
    return new Promise((resolve, reject) => this.send(m, (e) => (e ? reject(e) : resolve())));
  }

  send(m: OutgoingMessage, done: (error?: IotctlError) => void): void {
    if (this.lostError) return done(this.lostError);
    if (!this.driver) return done(sessionClosed());
    if (this.firstPublishAt === 0) this.firstPublishAt = performance.now();
    // Only for diagnosis; kept cheap because pub --lines calls this per line.
    if (this.lastPublish?.topic !== m.topic || this.lastPublish.retain !== (m.retain === true)) this.lastPublish = { topic: m.topic, retain: m.retain === true };
    const id = ++this.sequence;
    this.pending.set(id, done);
    this.driver.publish(m, (err, ack) => {
      const cb = this.pending.get(id);
      if (!cb) return; // already failed with the connection
      this.pending.delete(id);
      // Cancelled because the connection went: its loss event may come a moment later (busy machine), and it holds the diagnosis.
      if (err !== undefined) return this.afterLoss(err, () => cb(this.lostError ?? operationFailed('publish', m.topic, err)));
      if (isFailure(ack!.code)) return cb(refused('publish', this.denial({ topic: m.topic, retain: m.retain }), ack!.code, 'PUBACK', ack!.reasonString));
      if (m.qos === 1) this.confirmed++;
      cb();
    });
  }

  /**
   * Runs `report` once the connection loss that `err` points to is known (or
   * at once for other errors): the device SDK may fail an operation before it
   * reports the hang-up that explains it.
   */
  private afterLoss(err: unknown, report: () => void): void {
    if (this.lostError || !isConnectionGone(err)) return report();
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      report();
    };
    const timer = setTimeout(once, LOSS_REPORT_WAIT_MS);
    this.lostHandlers.push(once);
  }

  flush(): Promise<void> {
    if (this.lostError) return Promise.reject(this.lostError);
    if (!this.driver) return Promise.reject(sessionClosed());
    return new Promise<void>((resolve, reject) => {
      this.waiting.add(reject);
      this.driver!.flush().then(
        () => {
          this.confirmed++;
          if (this.waiting.delete(reject)) resolve();
        },
        (err: unknown) => {
          if (this.waiting.delete(reject)) this.afterLoss(err, () => reject(this.lostError ?? operationFailed('publish', 'iotctl/flush', err)));
        },
      );
    });
  }

  subscribe(filter: string, qos: QoS): Promise<QoS> {
    if (this.lostError) return Promise.reject(this.lostError);
    if (!this.driver) return Promise.reject(sessionClosed());
    this.pendingSubscribe = { filter };
    return new Promise<QoS>((resolve, reject) => {
      this.waiting.add(reject);
      this.driver!.subscribe(filter, qos).then(
        (ack) => {
          this.pendingSubscribe = undefined;
          if (!this.waiting.delete(reject)) return;
          if (isFailure(ack.code)) return reject(refused('subscribe', this.denial({ topic: filter }), ack.code, 'SUBACK', ack.reasonString));
          resolve(ack.code === 0 ? 0 : 1);
        },
        (err: unknown) => {
          if (!this.waiting.delete(reject)) return;
          this.pendingSubscribe = undefined;
          reject(this.lostError ?? operationFailed('subscribe', filter, err));
        },
      );
    });
  }

  private failPending(error: IotctlError): void {
    for (const reject of this.waiting) reject(error);
    this.waiting.clear();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const done of pending) done(error);
  }

  onMessage(handler: (m: IncomingMessage) => void): void {
    this.messageHandler = handler;
  }

  onLost(handler: (e: IotctlError) => void): void {
    if (this.lostError) handler(this.lostError);
    else this.lostHandlers.push(handler);
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    const driver = this.driver;
    this.driver = undefined;
    this.messageHandler = undefined;
    this.failPending(sessionClosed());
    await driver?.stop();
  }
}

function sessionClosed(): IotctlError {
  return new IotctlError('SESSION_CLOSED', 'The MQTT session was closed before the broker answered.', { exitCode: ExitCode.FAILURE });
}

function operationFailed(op: Operation, topic: string, err: unknown): IotctlError {
  const text = typeof err === 'string' ? err : ((err as Error)?.message ?? String(err));
  return new IotctlError(op === 'publish' ? 'PUBLISH_FAILED' : 'SUBSCRIBE_FAILED', `${op === 'publish' ? 'Publish to' : 'Subscribe to'} "${topic}" failed: ${text}`, {
    exitCode: ExitCode.FAILURE,
    cause: err,
  });
}
