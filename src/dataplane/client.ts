/**
 * A client of AWS IoT's HTTPS data plane (botocore `iot-data`: Publish,
 * GetRetainedMessage, ListRetainedMessages, and the Device Shadow's
 * GetThingShadow, UpdateThingShadow, DeleteThingShadow and
 * ListNamedShadowsForThing), for AWS and the local IoT Core.
 * It authenticates the two ways AWS IoT accepts: a client certificate
 * (mutual TLS; AWS serves it on port 8443, or on 443 to clients offering ALPN
 * `x-amzn-http-ca`) or a SigV4 signature with service `iotdata` (port 443).
 * All requests share one kept-alive connection. node:https and smithy's
 * signer only: no AWS SDK client to load.
 */
import https from 'node:https';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ExitCode, IotctlError } from '../core/errors.js';
import { NodeSha256 } from '../core/sha256.js';
import type { AwsCredentials, ConnectionSpec, OutgoingMessage } from '../mqtt/types.js';
import type { JsonObject, ShadowRef } from '../core/shadow/index.js';
import { checkTlsMaterial } from '../mqtt/preflight.js';
import { HttpFailure, connectionError, responseError } from './errors.js';

/** botocore's signing name for `iot-data`. */
export const SIGNING_SERVICE = 'iotdata';
/** What AWS IoT wants offered on port 443 to serve HTTPS with a client certificate. */
export const HTTP_CERTIFICATE_ALPN = 'x-amzn-http-ca';
const MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface RetainedMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  /** Epoch milliseconds. */
  lastModifiedTime?: number;
}

export interface RetainedSummary {
  topic: string;
  payloadSize: number;
  qos: number;
  lastModifiedTime?: number;
}

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

interface Request {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

/** SigV4's URI encoding (RFC 3986 unreserved characters stay). */
const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface DataPlaneClientOptions {
  /** A call with no answer for this long fails (default 60 s). */
  requestTimeoutMs?: number;
  /** --verbose lines. */
  log?: (line: string) => void;
  /** Warnings the user should see (a private key others can read). */
  warn?: (message: string) => void;
}

export class DataPlaneClient {
  private credentials: AwsCredentials | undefined;
  private signer: import('@smithy/signature-v4').SignatureV4 | undefined;
  private readonly hostHeader: string;

  private constructor(
    readonly spec: ConnectionSpec,
    private readonly agent: https.Agent,
    private readonly options: DataPlaneClientOptions,
  ) {
    const host = net.isIPv6(spec.endpoint) ? `[${spec.endpoint}]` : spec.endpoint;
    this.hostHeader = spec.port === 443 ? host : `${host}:${spec.port}`;
  }

  /** Checks the TLS files (a bad certificate or key is a clear error before anything is sent) and prepares the connection. */
  static async open(spec: ConnectionSpec, options: DataPlaneClientOptions = {}): Promise<DataPlaneClient> {
    const mtls = spec.auth === 'mtls';
    const material = await checkTlsMaterial({ certFile: mtls ? spec.certFile : undefined, keyFile: mtls ? spec.keyFile : undefined, caFile: spec.caFile });
    for (const warning of material.warnings ?? []) options.warn?.(warning);
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: material.caPem,
      cert: material.certPem,
      key: material.keyPem,
      // Only where AWS needs it: 8443 takes certificates without it.
      ALPNProtocols: mtls && spec.port === 443 ? [HTTP_CERTIFICATE_ALPN] : undefined,
    });
    return new DataPlaneClient(spec, agent, options);
  }

  /** Where requests go, for messages: `https://host:port (mtls)`. */
  describe(): string {
    return `https://${this.hostHeader}${this.spec.port === 443 ? ':443' : ''} (HTTPS, ${this.spec.auth === 'mtls' ? 'client certificate' : 'SigV4'})`;
  }

  /** Publish: resolves when the server accepted the message (HTTP 200). */
  async publish(message: OutgoingMessage): Promise<void> {
    const query: Record<string, string> = { qos: String(message.qos) };
    if (message.retain) query.retain = 'true';
    const headers: Record<string, string> = {};
    const p = message.properties;
    if (p?.contentType !== undefined) query.contentType = p.contentType;
    if (p?.responseTopic !== undefined) query.responseTopic = p.responseTopic;
    if (p?.messageExpirySeconds !== undefined) query.messageExpiry = String(p.messageExpirySeconds);
    if (p?.correlationData !== undefined) headers['x-amz-mqtt5-correlation-data'] = Buffer.from(p.correlationData).toString('base64');
    if (p?.payloadFormatUtf8 !== undefined) headers['x-amz-mqtt5-payload-format-indicator'] = p.payloadFormatUtf8 ? 'UTF8_DATA' : 'UNSPECIFIED_BYTES';
    if (p?.userProperties?.length) headers['x-amz-mqtt5-user-properties'] = Buffer.from(JSON.stringify(p.userProperties.map((u) => ({ [u.name]: u.value })))).toString('base64');
    await this.call({ method: 'POST', path: `/topics/${escape(message.topic)}`, query, headers, body: message.payload }, { operation: 'publish', topic: message.topic, retain: message.retain });
  }

  async getRetained(topic: string): Promise<RetainedMessage> {
    const r = await this.call({ method: 'GET', path: `/retainedMessage/${escape(topic)}` }, { operation: 'get-retained', topic });
    const doc = parseJson(r) as { topic?: string; payload?: string; qos?: number; lastModifiedTime?: number };
    return { topic: doc.topic ?? topic, payload: Buffer.from(doc.payload ?? '', 'base64'), qos: doc.qos ?? 0, lastModifiedTime: doc.lastModifiedTime };
  }

  /** Every retained message's summary, page after page. */
  async listRetained(): Promise<RetainedSummary[]> {
    const out: RetainedSummary[] = [];
    let nextToken: string | undefined;
    do {
      const r = await this.call({ method: 'GET', path: '/retainedMessage', query: nextToken ? { nextToken } : {} }, { operation: 'list-retained' });
      const page = parseJson(r) as { retainedTopics?: RetainedSummary[]; nextToken?: string };
      out.push(...(page.retainedTopics ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  /** GetThingShadow: the shadow document as AWS returns it (state with delta, metadata, version, timestamp). */
  async getShadow(ref: ShadowRef): Promise<JsonObject> {
    return parseJson(await this.call({ method: 'GET', path: shadowPath(ref), query: shadowQuery(ref) }, { operation: 'get-shadow', shadow: ref })) as JsonObject;
  }

  /** UpdateThingShadow with a request document (the JSON text as it will be sent; `version` as it names it); the accepted document. */
  async updateShadow(ref: ShadowRef, document: Uint8Array, version?: number): Promise<JsonObject> {
    const r = await this.call({ method: 'POST', path: shadowPath(ref), query: shadowQuery(ref), body: document }, { operation: 'update-shadow', shadow: ref, version });
    return parseJson(r) as JsonObject;
  }

  /** DeleteThingShadow: `{version, timestamp}`. */
  async deleteShadow(ref: ShadowRef): Promise<JsonObject> {
    return parseJson(await this.call({ method: 'DELETE', path: shadowPath(ref), query: shadowQuery(ref) }, { operation: 'delete-shadow', shadow: ref })) as JsonObject;
  }

  /** ListNamedShadowsForThing, every page: the names of a thing's named shadows. */
  async listNamedShadows(thingName: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const query: Record<string, string> = { pageSize: '100', ...(nextToken ? { nextToken } : {}) };
      const r = await this.call({ method: 'GET', path: `/api/things/shadow/ListNamedShadowsForThing/${escape(thingName)}`, query }, { operation: 'list-shadows', shadow: { thingName } });
      const page = parseJson(r) as { results?: string[]; nextToken?: string };
      names.push(...(page.results ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.agent.destroy();
  }

  private async call(req: Request, what: Parameters<typeof responseError>[1]): Promise<Response> {
    let response = await this.send(req);
    // Temporary credentials expire (Cognito's after an hour): mint new ones once.
    if (response.status === 403 && this.spec.auth === 'sigv4' && errorCode(response) === 'ExpiredTokenException' && this.credentials) {
      this.credentials = undefined;
      response = await this.send(req);
    }
    if (response.status >= 200 && response.status < 300) return response;
    throw responseError(response, what, this.spec);
  }

  /** One request; retried once when a kept-alive connection turns out to be closed (the server's idle timeout). */
  private async send(req: Request): Promise<Response> {
    const headers = await this.headersFor(req);
    try {
      return await this.exchange(req, headers);
    } catch (err) {
      if (err instanceof HttpFailure && err.reusedSocket && err.retryable) return this.exchange(req, headers);
      throw err instanceof HttpFailure ? connectionError(err.cause, this.spec) : err;
    }
  }

  private async headersFor(req: Request): Promise<Record<string, string>> {
    const headers: Record<string, string> = { host: this.hostHeader, ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(req.body.length);
    if (this.spec.auth !== 'sigv4') return headers;
    if (!this.spec.credentials || !this.spec.region) throw new IotctlError('NO_CREDENTIALS', 'No AWS credentials or region to sign the request.', { exitCode: ExitCode.DENIED });
    this.credentials ??= await this.spec.credentials();
    if (!this.signer) {
      const { SignatureV4 } = await import('@smithy/signature-v4');
      // The credentials are read at each signature, so a refresh takes effect at once.
      this.signer = new SignatureV4({ service: SIGNING_SERVICE, region: this.spec.region, credentials: async () => this.credentials!, sha256: NodeSha256 });
    }
    const signed = await this.signer.sign({ method: req.method, protocol: 'https:', hostname: this.spec.endpoint, port: this.spec.port, path: req.path, query: req.query ?? {}, headers, body: req.body });
    return signed.headers as Record<string, string>;
  }

  private exchange(req: Request, headers: Record<string, string>): Promise<Response> {
    const query = Object.entries(req.query ?? {})
      .map(([k, v]) => `${escape(k)}=${escape(v)}`)
      .join('&');
    return new Promise((resolve, reject) => {
      let reused = false;
      const fail = (err: Error) => reject(new HttpFailure(err, reused));
      const request = https.request(
        {
          host: this.spec.endpoint,
          port: this.spec.port,
          method: req.method,
          path: query ? `${req.path}?${query}` : req.path,
          headers,
          agent: this.agent,
          servername: net.isIP(this.spec.endpoint) ? undefined : this.spec.endpoint,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) request.destroy(new Error(`the response is larger than ${MAX_RESPONSE_BYTES} bytes`));
            else chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', fail);
        },
      );
      request.on('socket', (socket: TLSSocket) => {
        reused = request.reusedSocket;
        if (reused || !socket.connecting) return;
        // A new connection has --connect-timeout to finish TCP and TLS.
        const timer = setTimeout(() => request.destroy(Object.assign(new Error('connect timeout'), { code: 'CONNECT_TIMEOUT' })), this.spec.connectTimeoutMs);
        socket.once('secureConnect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      request.setTimeout(this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, () => request.destroy(Object.assign(new Error('request timeout'), { code: 'REQUEST_TIMEOUT' })));
      request.on('error', fail);
      request.end(req.body);
      this.options.log?.(`${req.method} ${req.path}${query ? `?${query}` : ''} (${this.spec.auth})`);
    });
  }
}

const shadowPath = (ref: ShadowRef) => `/things/${escape(ref.thingName)}/shadow`;
const shadowQuery = (ref: ShadowRef): Record<string, string> => (ref.shadowName === undefined ? {} : { name: ref.shadowName });

/** The error code of an AWS answer (`x-amzn-ErrorType: Code:` → Code). */
function errorCode(r: Response): string | undefined {
  const header = r.headers['x-amzn-errortype'];
  return (Array.isArray(header) ? header[0] : header)?.split(/[:,#]/)[0];
}

function parseJson(r: Response): unknown {
  try {
    return JSON.parse(r.body.toString('utf8'));
  } catch {
    throw new IotctlError('BAD_RESPONSE', `The data endpoint answered HTTP ${r.status} with a body that is not JSON.`, { hint: 'check --endpoint and --port: is it an AWS IoT data endpoint?' });
  }
}
