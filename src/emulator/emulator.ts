/**
 * createEmulator: the local AWS IoT Core as a library. It loads (or creates)
 * the data directory, opens the registry, and starts the listeners: the
 * control plane (IoT + Cognito Identity over HTTP) and the data plane (an MQTT
 * broker over mutual TLS and over SigV4 WebSockets, and the HTTPS data-plane
 * API beside it, all enforcing IoT policies);
 * `close()` stops them and leaves the state durable.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import { Arns } from './arns.js';
import { Authenticator } from './auth.js';
import { roleAuthorizer } from './authorization/role-authorizer.js';
import { AuthLog, guardEventWriter, type AuthLogEvent } from './broker/auth-log.js';
import { startBroker, type Broker } from './broker/broker.js';
import { startDataPlane, type DataPlane } from './data-plane/data-plane.js';
import { seedWebApp } from './web/app.js';
import { startWebServer, type WebServer } from './web/server.js';
import { isLoopbackAddress } from './web/host-check.js';
import { startShadows, type ShadowPolicy, type Shadows } from './shadow/index.js';
import { DEFAULT_OUTBOUND_LIMITS, type OutboundLimits } from './broker/outbound.js';
import type { SubscribeDeniedMode } from './broker/hooks.js';
import { RetainedStore } from './broker/retained.js';
import { WS_PATH } from './broker/ws-listener.js';
import { ControlPlane, type ControlPlaneAuthorizer } from './control-plane.js';
import type { AccessKey } from './credentials.js';
import { dataFile, findInstance, prepareDataDir, removeRuntimeInfo, writeRuntimeInfo, type RuntimeInfo } from './datadir.js';
import { listen } from './listen.js';
import { ConnectionGuard, DEFAULT_LISTENER_LIMITS, type ListenerLimits } from './connection-guard.js';
import { DEFAULT_LIMITS, createHttpServer, type HttpLimits } from './http/server.js';
import type { ServiceContext } from './http/types.js';
import { seedPolicyDocument } from './iam/operations.js';
import { ephemeralMaterial, persistentMaterial, type Material } from './material.js';
import { FileStorage, memoryStorage } from './store/persistence.js';
import { StateStore } from './store/state.js';
import { TokenSigner } from './cognito/tokens.js';
import { localLoginProvider, localLoginValidator } from './cognito/local-login.js';
import type { LoginValidators } from './cognito/logins.js';
import type { SessionRecord } from './store/model.js';
import { IotctlError } from '../core/errors.js';
import { LOCAL_IOT_CORE_SERVICE } from '../core/local.js';
import { isAccountId } from '../core/aws-ids.js';

export const DEFAULT_PORTS = { http: 4580, mqtt: 4581, ws: 4582, https: 4583 } as const;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT_ID = '123456789012';
/** The inline policy that holds a role's document given to createEmulator({ roles }). */
export const SEEDED_POLICY_NAME = 'iotctl';

export interface EmulatorPorts {
  /** Control plane (IoT + Cognito Identity); 0 picks a free port. Default 4580. */
  http?: number;
  /** MQTT over mutual TLS. Default 4581. */
  mqtt?: number;
  /** MQTT over WebSocket (TLS, SigV4-presigned, path /mqtt). Default 4582. */
  ws?: number;
  /** The HTTPS data plane (publish, retained messages): client certificates or SigV4. Default 4583. */
  https?: number;
}

export interface EmulatorLogger {
  /** One line per request (verbose). */
  request?(line: string): void;
  /** Unexpected failures, with their cause. */
  error?(message: string, err: unknown): void;
  /** Every data-plane authentication failure, denial and refused limit, as it is written to the auth log. */
  auth?(event: AuthLogEvent): void;
}

export interface EmulatorOptions {
  /** Where state, keys and the CA live. Required unless `ephemeral`. */
  dataDir?: string;
  /** Keep everything in memory (tests); only the public CA certificate is written, to a temp file. */
  ephemeral?: boolean;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  ports?: EmulatorPorts;
  region?: string;
  /** The 12-digit account in ARNs; default 123456789012. */
  accountId?: string;
  /** Use this root key pair instead of the one generated at first start. */
  credentials?: AccessKey;
  /**
   * IAM roles to seed at start: role name → policy document (JSON text or object). A missing role is
   * created (trusting Cognito); the document becomes (or replaces) its inline policy `iotctl`.
   */
  roles?: Record<string, string | object>;
  /** Validators for Cognito `Logins` providers (none by default: only unauthenticated identities). */
  loginValidators?: LoginValidators;
  /** Whether temporary credentials may call control-plane operations; default: when their role's policy allows it. */
  authorize?: ControlPlaneAuthorizer;
  /** A denied SUBSCRIBE gets SUBACK 0x80 for the filter (default) or closes the connection, as AWS has been seen to do. */
  subscribeDenied?: SubscribeDeniedMode;
  /**
   * The web app (`iotctl local start --web`): its files (default templates/web) on a plain HTTP port on this
   * machine, with the identity pool, roles, policy and lamp it uses (made at the first start, found again after).
   */
  web?: { port: number; root?: string };
  /** Persistent MQTT sessions: QoS 1 messages kept per offline session (default 10,000) and how long a session outlives its client (default 1 hour). */
  sessions?: { maxQueued?: number; expiryMs?: number };
  limits?: Partial<HttpLimits>;
  /** Every listener: TLS handshake and authentication deadlines (10 s each), and at most 1,000 connections waiting for them. */
  listeners?: Partial<ListenerLimits>;
  /** What may wait to be sent to one MQTT client: QoS 0 dropped past 512 KiB, disconnected past 4 MiB or when full for 10 s. */
  outbound?: Partial<OutboundLimits>;
  /** Where AWS leaves the Device Shadow unclear: shadows of things not in the registry (allowed by default), and a deleted thing's shadows (kept by default). */
  shadows?: ShadowPolicy;
  log?: EmulatorLogger;
  /** Clock (epoch ms), for tests of expiry. */
  now?: () => number;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface EmulatorEndpoints {
  region: string;
  accountId: string;
  /** e.g. http://127.0.0.1:4580 — the `--endpoint-url` for IoT and Cognito Identity. */
  controlPlane: string;
  http: Endpoint;
  /** MQTT over mutual TLS. */
  mqtt: Endpoint;
  /** MQTT over WebSocket: `url` is wss://<host>:<port>/mqtt, to be SigV4-presigned (service iotdevicegateway). */
  ws: Endpoint & { url: string };
  /** The HTTPS data plane: `url` is https://<host>:<port> (POST /topics/<topic>, GET /retainedMessage...; a client certificate or SigV4 service iotdata). */
  https: Endpoint & { url: string };
  /** The web app, when started with `web`: `url` is http://127.0.0.1:<port>/ (its own /mqtt is ws:// to the broker). */
  web?: Endpoint & { url: string; identityPoolId: string };
  /** The local CA certificate; clients use it instead of AmazonRootCA1.pem. */
  caFile: string;
  /** The host DescribeEndpoint answers. */
  dataHost: string;
  /** The auth log: one JSON object per line (a temp file when ephemeral). */
  logFile: string;
}

export interface Emulator {
  endpoints: EmulatorEndpoints;
  /** The root key pair: signs anything. */
  credentials: AccessKey;
  /** Undefined when ephemeral. */
  dataDir?: string;
  /** Stops the listeners; the state stays durable in the data directory. */
  close(): Promise<void>;
  /** What tests look at that no AWS API shows (see EmulatorTestHooks). */
  testHooks: EmulatorTestHooks;
}

/**
 * For tests only, and not a stable interface: what the local IoT Core knows
 * that no AWS API shows. Everything AWS shows is asked through the AWS SDK.
 */
export interface EmulatorTestHooks {
  /** MQTT connections admitted and still open. */
  connectionCount(): number;
  /** Resolves once every auth-log event so far is in the log file. */
  flushLog(): Promise<void>;
  /** Whom temporary credentials were issued to (identity, pool, role), if this local IoT Core issued them. */
  session(accessKeyId: string): SessionRecord | undefined;
  /** The things attached to a principal (certificate ARN or Cognito identity id), with the attachment type. */
  thingsOf(principal: string): { thingName: string; type: string }[];
  /** The broker's way in for a message authorized elsewhere, as the HTTPS data plane uses it (Broker.publishAs). */
  publishAs: Broker['publishAs'];
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';

/** A wildcard bind address is advertised as the loopback address clients can reach. */
function advertisedHost(host: string): string {
  if (!isWildcard(host)) return host;
  return host === '::' ? '::1' : '127.0.0.1';
}

const urlHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

export async function createEmulator(options: EmulatorOptions): Promise<Emulator> {
  if (!options.ephemeral && !options.dataDir) throw new IotctlError('EMULATOR_OPTIONS', 'createEmulator needs a dataDir, or ephemeral: true.');
  const dataDir = options.ephemeral ? undefined : path.resolve(options.dataDir!);
  const host = options.host ?? DEFAULT_HOST;
  const dataHost = advertisedHost(host);
  const region = options.region ?? DEFAULT_REGION;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!isAccountId(accountId)) throw new IotctlError('EMULATOR_OPTIONS', `The account ID must be 12 digits, not "${accountId}".`);
  const limits: HttpLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const listenerLimits: ListenerLimits = { ...DEFAULT_LISTENER_LIMITS, ...options.listeners };
  const now = options.now ?? Date.now;

  if (dataDir) {
    await prepareDataDir(dataDir);
    const instance = await findInstance(dataDir);
    if (instance.state === 'running') {
      throw new IotctlError('LOCAL_ALREADY_RUNNING', `A local IoT Core already runs on ${dataDir} (pid ${instance.info.pid}, ${instance.info.controlPlane}).`, {
        hint: 'stop it first, or use another --data-dir',
      });
    }
  }

  // The data plane's certificate names every host a client may use.
  const serverHosts = [...new Set(['localhost', '127.0.0.1', dataHost, ...(isWildcard(host) ? [] : [host])])];
  const material: Material = dataDir ? await persistentMaterial(dataDir, serverHosts, options.credentials) : await ephemeralMaterial(serverHosts, options.credentials);
  const arns = new Arns(region, accountId);
  const store = await StateStore.open(arns, dataDir ? new FileStorage(dataFile(dataDir, 'state')) : memoryStorage);
  if (options.roles && Object.keys(options.roles).length > 0) {
    await store.mutate((r) => {
      for (const [name, doc] of Object.entries(options.roles!)) r.seedRole(name, SEEDED_POLICY_NAME, seedPolicyDocument(doc), now());
    });
  }

  const authenticator = new Authenticator({ root: material.root, region, registry: () => store.registry, now });
  const stateDir = dataDir ?? material.tempDir!;
  const logFile = dataFile(stateDir, 'authLog');
  const authLog = new AuthLog({ file: logFile, onEvent: options.log?.auth, now });
  // Retained messages survive a restart, except in ephemeral mode.
  const retained = await RetainedStore.open(dataDir ? dataFile(dataDir, 'retained') : undefined, now);
  const tokenSigner = new TokenSigner(material.tokenKeyPem);
  const ctx: ServiceContext = {
    store,
    arns,
    ca: material.ca,
    now,
    dataHost,
    region,
    // The local login provider (`iotctl local login`) is always there; tests may add their own.
    loginValidators: { [localLoginProvider(region)]: localLoginValidator({ tokenSigner, region, now }), ...options.loginValidators },
    tokenSigner,
  };
  const startedAt = new Date().toISOString();
  const dataPlaneHealth: { mqtt?: string; websocket?: string; https?: string } = {};
  const controlPlane = new ControlPlane({
    ctx,
    auth: authenticator,
    maxBodyBytes: limits.maxBodyBytes,
    authorize: options.authorize ?? roleAuthorizer(arns),
    health: () => ({ status: 'ok', service: LOCAL_IOT_CORE_SERVICE, pid: process.pid, region, accountId, startedAt, dataDir, ...dataPlaneHealth, logFile }),
    logRequest: options.log?.request,
    logError: options.log?.error,
  });
  const server = createHttpServer(controlPlane.handle, limits);
  new ConnectionGuard(server, 'control plane', listenerLimits, guardEventWriter(authLog, 'http'));
  let broker: Broker | undefined;
  let shadows: Shadows | undefined;
  let dataPlane: DataPlane | undefined;
  let web: WebServer | undefined;
  const closeHttp = async () => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Requests in flight get a moment to finish; then their connections go.
    const timer = setTimeout(() => server.closeAllConnections(), 1000);
    await closed;
    clearTimeout(timer);
  };
  const removeTemp = async () => {
    if (material.tempDir) await fs.rm(material.tempDir, { recursive: true, force: true });
  };
  let httpPort: number;
  try {
    httpPort = await listen(server, host, options.ports?.http ?? DEFAULT_PORTS.http);
    broker = await startBroker({
      host,
      ports: { mqtt: options.ports?.mqtt ?? DEFAULT_PORTS.mqtt, ws: options.ports?.ws ?? DEFAULT_PORTS.ws },
      store,
      arns,
      serverCertificate: material.server,
      caPem: material.ca.certificatePem,
      authenticator,
      retained,
      log: authLog,
      subscribeDenied: options.subscribeDenied,
      listenerLimits,
      outboundLimits: { ...DEFAULT_OUTBOUND_LIMITS, ...options.outbound },
      maxQueuedPerSession: options.sessions?.maxQueued,
      sessionExpiryMs: options.sessions?.expiryMs,
      sessionFiles: dataDir ? { snapshot: dataFile(dataDir, 'sessions'), journal: dataFile(dataDir, 'sessionJournal') } : undefined,
      now,
      logError: options.log?.error,
    });
    shadows = await startShadows({
      file: dataDir ? dataFile(dataDir, 'shadows') : undefined,
      broker,
      state: store,
      now,
      ...options.shadows,
      logError: options.log?.error,
    });
    dataPlane = await startDataPlane({
      host,
      port: options.ports?.https ?? DEFAULT_PORTS.https,
      serverCertificate: material.server,
      caPem: material.ca.certificatePem,
      store,
      arns,
      authenticator,
      broker,
      retained,
      shadows: shadows.service,
      log: authLog,
      listenerLimits,
      httpLimits: limits,
      now,
      logRequest: options.log?.request,
      logError: options.log?.error,
    });
    if (options.web) {
      web = await startWebServer({
        // This machine only, whatever --host says: see web/host-check.ts.
        host: host === 'localhost' || isLoopbackAddress(host) ? host : '127.0.0.1',
        port: options.web.port,
        root: options.web.root,
        app: await seedWebApp(store, arns, now(), SEEDED_POLICY_NAME),
        controlPlane: `http://${urlHost(dataHost)}:${httpPort}`,
        region,
        broker: { host: dataHost, port: broker.wsPort, ca: material.ca.certificatePem },
        authenticator,
        store,
        ctx,
        limits,
        logRequest: options.log?.request,
        logError: options.log?.error,
      });
    }
  } catch (err) {
    await dataPlane?.close();
    await shadows?.close();
    await broker?.close();
    await closeHttp();
    await removeTemp();
    throw err;
  }

  const wsUrl = `wss://${urlHost(dataHost)}:${broker.wsPort}${WS_PATH}`;
  const httpsUrl = `https://${urlHost(dataHost)}:${dataPlane.port}`;
  const endpoints: EmulatorEndpoints = {
    region,
    accountId,
    controlPlane: `http://${urlHost(dataHost)}:${httpPort}`,
    http: { host: dataHost, port: httpPort },
    mqtt: { host: dataHost, port: broker.mqttPort },
    ws: { host: dataHost, port: broker.wsPort, url: wsUrl },
    https: { host: dataHost, port: dataPlane.port, url: httpsUrl },
    ...(web ? { web: { host: new URL(web.url).hostname.replace(/^\[|\]$/g, ''), port: web.port, url: web.url, identityPoolId: web.identityPoolId } } : {}),
    caFile: material.caFile,
    dataHost,
    logFile,
  };
  dataPlaneHealth.mqtt = `${urlHost(dataHost)}:${broker.mqttPort}`;
  dataPlaneHealth.websocket = wsUrl;
  dataPlaneHealth.https = `${urlHost(dataHost)}:${dataPlane.port}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // The web app and HTTPS first: nothing may publish into a broker that is closing.
      await web?.close();
      await dataPlane!.close();
      await shadows!.close();
      await broker!.close();
      await closeHttp();
      await Promise.all([store.flush(), retained.flush(), authLog.flush()]);
      if (dataDir) await removeRuntimeInfo(dataDir);
      await removeTemp();
    })());

  if (dataDir) {
    const info: RuntimeInfo = {
      pid: process.pid,
      startedAt,
      region,
      accountId,
      controlPlane: endpoints.controlPlane,
      caFile: endpoints.caFile,
      dataDir,
      endpoints: {
        http: endpoints.http,
        mqtt: endpoints.mqtt,
        ws: { host: endpoints.ws.host, port: endpoints.ws.port },
        https: { host: endpoints.https.host, port: endpoints.https.port },
      },
      logFile,
    };
    try {
      await writeRuntimeInfo(dataDir, info);
    } catch (err) {
      await close();
      throw err;
    }
  }

  const data = broker;
  return {
    endpoints,
    credentials: material.root,
    dataDir,
    close,
    testHooks: {
      connectionCount: () => data.connectionCount(),
      flushLog: () => authLog.flush(),
      session: (accessKeyId) => store.registry.session(accessKeyId),
      thingsOf: (principal) => {
        const ref = arns.principal(principal);
        return ref ? store.registry.thingsFor(ref.key) : [];
      },
      publishAs: (origin, message) => data.publishAs(origin, message),
    },
  };
}
