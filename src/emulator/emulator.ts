/**
 * createEmulator: the local AWS IoT Core as a library. It loads (or creates)
 * the data directory, opens the registry, and starts the listeners; `close()`
 * stops them and leaves the state durable. Part 1 runs the control plane
 * (IoT + Cognito Identity over HTTP); the MQTT/WebSocket data plane plugs in
 * as further listeners under `ports`/`endpoints`.
 */
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isIP } from 'node:net';
import { Arns } from './arns.js';
import { Authenticator } from './auth.js';
import { ControlPlane, type ControlPlaneAuthorizer } from './control-plane.js';
import type { AccessKey } from './credentials.js';
import { dataFile, findInstance, removeRuntimeInfo, writeRuntimeInfo, type RuntimeInfo } from './datadir.js';
import { DEFAULT_LIMITS, createHttpServer, type HttpLimits } from './http/server.js';
import type { ServiceContext } from './http/types.js';
import { roleDocument } from './iam.js';
import { ephemeralMaterial, persistentMaterial, type Material } from './material.js';
import { FileStorage, memoryStorage } from './store/persistence.js';
import { StateStore } from './store/state.js';
import { TokenSigner } from './cognito/tokens.js';
import { localLoginProvider, localLoginValidator } from './cognito/local-login.js';
import type { LoginValidators } from './cognito/logins.js';
import type { CertificateAuthority } from '../pki/ca.js';
import { IotctlError } from '../core/errors.js';

export const DEFAULT_PORTS = { http: 4580, mqtt: 4581, ws: 4582 } as const;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT_ID = '123456789012';

export interface EmulatorPorts {
  /** Control plane (IoT + Cognito Identity); 0 picks a free port. Default 4580. */
  http?: number;
  /** MQTT over mutual TLS (part 2). Default 4581. */
  mqtt?: number;
  /** MQTT over WebSocket with SigV4 (part 2). Default 4582. */
  ws?: number;
}

export interface EmulatorLogger {
  /** One line per request (verbose). */
  request?(line: string): void;
  /** Unexpected failures, with their cause. */
  error?(message: string, err: unknown): void;
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
  /** Local IAM roles to create or replace at start: role name → policy document (JSON text or object). */
  roles?: Record<string, string | object>;
  /** Validators for Cognito `Logins` providers (none by default: only unauthenticated identities). */
  loginValidators?: LoginValidators;
  /** Whether temporary credentials may call control-plane operations; default: no. */
  authorize?: ControlPlaneAuthorizer;
  limits?: Partial<HttpLimits>;
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
  /** Part 2. */
  mqtt?: Endpoint;
  /** Part 2. */
  ws?: Endpoint & { url: string };
  /** The local CA certificate; clients use it instead of AmazonRootCA1.pem. */
  caFile: string;
  /** The host DescribeEndpoint answers. */
  dataHost: string;
}

export interface Emulator {
  endpoints: EmulatorEndpoints;
  /** The root key pair: signs anything. */
  credentials: AccessKey;
  /** Undefined when ephemeral. */
  dataDir?: string;
  /**
   * The registry and its change events. The data plane asks it, per operation:
   * `store.registry.certificate(id)?.status`, `store.registry.policiesFor(principalKey)`
   * (default versions of the attached policies), `store.registry.thingsFor(principalKey)`,
   * `store.registry.session(accessKeyId)`, `store.registry.rolePolicy(roleArn)`;
   * and listens to `store.changes.on('change', ...)`.
   */
  store: StateStore;
  arns: Arns;
  ca: CertificateAuthority;
  /** The data plane's TLS server certificate (SAN: localhost, 127.0.0.1 and the host). */
  serverCertificate: { certificatePem: string; privateKeyPem: string };
  /** SigV4 verification against the emulator's known keys (for the WebSocket upgrade). */
  authenticator: Authenticator;
  close(): Promise<void>;
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';

/** A wildcard bind address is advertised as the loopback address clients can reach. */
function advertisedHost(host: string): string {
  if (!isWildcard(host)) return host;
  return host === '::' ? '::1' : '127.0.0.1';
}

const urlHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

function listen(server: import('node:http').Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        err.code === 'EADDRINUSE'
          ? new IotctlError('PORT_IN_USE', `Port ${port} on ${host} is already in use.`, { hint: 'pick another with --port, or 0 for a free one', cause: err })
          : err,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export async function createEmulator(options: EmulatorOptions): Promise<Emulator> {
  if (!options.ephemeral && !options.dataDir) throw new IotctlError('EMULATOR_OPTIONS', 'createEmulator needs a dataDir, or ephemeral: true.');
  const dataDir = options.ephemeral ? undefined : path.resolve(options.dataDir!);
  const host = options.host ?? DEFAULT_HOST;
  const dataHost = advertisedHost(host);
  const region = options.region ?? DEFAULT_REGION;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!/^\d{12}$/.test(accountId)) throw new IotctlError('EMULATOR_OPTIONS', `The account ID must be 12 digits, not "${accountId}".`);
  const limits: HttpLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;

  if (dataDir) {
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
      for (const [name, doc] of Object.entries(options.roles!)) r.putRole(name, roleDocument(doc), now());
    });
  }

  const authenticator = new Authenticator({ root: material.root, region, registry: () => store.registry, now });
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
  const controlPlane = new ControlPlane({
    ctx,
    auth: authenticator,
    maxBodyBytes: limits.maxBodyBytes,
    authorize: options.authorize,
    health: () => ({ status: 'ok', pid: process.pid, region, accountId, startedAt, dataDir }),
    logRequest: options.log?.request,
    logError: options.log?.error,
  });
  const server = createHttpServer(controlPlane.handle, limits);
  let httpPort: number;
  try {
    httpPort = await listen(server, host, options.ports?.http ?? DEFAULT_PORTS.http);
  } catch (err) {
    if (material.tempDir) await fs.rm(material.tempDir, { recursive: true, force: true });
    throw err;
  }

  const endpoints: EmulatorEndpoints = {
    region,
    accountId,
    controlPlane: `http://${urlHost(dataHost)}:${httpPort}`,
    http: { host: dataHost, port: httpPort },
    caFile: material.caFile,
    dataHost,
  };

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests in flight get a moment to finish; then their connections go.
      const timer = setTimeout(() => server.closeAllConnections(), 1000);
      await closed;
      clearTimeout(timer);
      await store.flush();
      if (dataDir) await removeRuntimeInfo(dataDir);
      if (material.tempDir) await fs.rm(material.tempDir, { recursive: true, force: true });
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
      endpoints: { http: endpoints.http },
    };
    try {
      await writeRuntimeInfo(dataDir, info);
    } catch (err) {
      await close();
      throw err;
    }
  }

  return {
    endpoints,
    credentials: material.root,
    dataDir,
    store,
    arns,
    ca: material.ca,
    serverCertificate: material.server,
    authenticator,
    close,
  };
}
