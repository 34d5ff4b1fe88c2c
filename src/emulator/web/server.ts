/**
 * The web app's port (`iotctl local start --web`): plain HTTP on this machine,
 * so a browser opens one URL and needs no certificate. It serves
 * - the app's files (templates/web, or your own folder) and MQTT.js for the
 *   browser at /vendor/mqtt.esm.js unless the folder has its own;
 * - /config.js, written for this local IoT Core (your folder's config.js is
 *   what the page uses anywhere else, e.g. against AWS);
 * - the sign-in (user-pool.ts) and the registration (registration.ts) the
 *   page calls on AWS at Cognito and at API Gateway;
 * - ws://.../mqtt, a plain hop to the broker's WebSocket listener (mqtt-proxy.ts).
 * Cognito Identity is not here: the page calls the control plane, across origins (CORS).
 */
import path from 'node:path';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Authenticator } from '../auth.js';
import { ServiceError, ValidationError } from '../errors.js';
import { readBody } from '../http/body.js';
import { sendError, sendJson, toServiceError } from '../http/respond.js';
import { createHttpServer, type HttpLimits } from '../http/server.js';
import { splitTarget } from '../http/target.js';
import type { ServiceContext } from '../http/types.js';
import { closeServer, listen, trackSockets } from '../listen.js';
import { readSignature, sha256Hex } from '../sigv4.js';
import type { StateStore } from '../store/state.js';
import { LOCAL_LOGIN_CLIENT_ID, localUserPoolId } from '../cognito/local-login.js';
import type { WebApp } from './app.js';
import { TEMPLATE_APP_DIR, VENDOR_MQTT_PATH, fileResponse, findFile, vendorMqttFile, type WebFile } from './files.js';
import { isLocalHostHeader } from './host-check.js';
import { MQTT_PATH, proxyMqttUpgrade, type ProxyTarget } from './mqtt-proxy.js';
import { REGISTER_PATH, REGISTER_SERVICE, register } from './registration.js';
import { USER_POOL_TARGET, initiateAuth } from './user-pool.js';

/** Sign-in and registration bodies are small JSON documents. */
const MAX_BODY_BYTES = 16 * 1024;

export interface WebServerOptions {
  host: string;
  port: number;
  /** The folder served; default the template. */
  root?: string;
  app: WebApp;
  /** The page's values that are not this server's: the control plane (Cognito Identity), the region. */
  controlPlane: string;
  region: string;
  broker: ProxyTarget;
  authenticator: Authenticator;
  store: StateStore;
  ctx: Pick<ServiceContext, 'tokenSigner' | 'region' | 'now'>;
  limits: HttpLimits;
  logRequest?: (line: string) => void;
  logError?: (message: string, err: unknown) => void;
}

export interface WebServer {
  port: number;
  /** The app's identity pool (guests and the local login provider). */
  identityPoolId: string;
  /** http://<host>:<port>/ */
  url: string;
  close(): Promise<void>;
}

/** What the page reads from /config.js here; templates/web/config.js documents each field. */
export function localConfig(options: Pick<WebServerOptions, 'app' | 'controlPlane' | 'region'>, origin: string) {
  const { app } = options;
  return {
    region: options.region,
    identityPoolId: app.identityPoolId,
    cognitoIdentityEndpoint: `${options.controlPlane}/`,
    userPool: { id: localUserPoolId(options.region), clientId: LOCAL_LOGIN_CLIENT_ID, endpoint: `${origin}/` },
    iotEndpoint: `${origin.replace(/^http/, 'ws')}${MQTT_PATH}`,
    registerUrl: `${origin}${REGISTER_PATH}`,
    lamp: app.lamp,
    publicTopics: `${app.publicPrefix}/#`,
  };
}

function configModule(config: object): WebFile {
  const text = `// Written by iotctl local start --web for this local IoT Core; your folder's config.js is what the page uses elsewhere.\nexport default ${JSON.stringify(config, null, 2)};\n`;
  return { body: Buffer.from(text), headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' } };
}

function sendFile(res: ServerResponse, file: WebFile, headOnly: boolean): void {
  res.writeHead(200, { ...file.headers, 'content-length': String(file.body.length) });
  res.end(headOnly ? undefined : file.body);
}

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...extra });
  res.end(text);
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const root = path.resolve(options.root ?? TEMPLATE_APP_DIR);
  const vendorMqtt = vendorMqttFile();
  let port = 0;

  async function serveFile(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    const headOnly = req.method === 'HEAD';
    if (req.method !== 'GET' && !headOnly) return sendText(res, 405, `${req.method} is not served here.\n`, { allow: 'GET, HEAD' });
    if (rawPath === '/config.js') return sendFile(res, configModule(localConfig(options, `http://${req.headers.host}`)), headOnly);
    const file = (await findFile(root, rawPath)) ?? (rawPath === VENDOR_MQTT_PATH ? vendorMqtt : undefined);
    if (!file) return sendText(res, 404, `Not found: ${rawPath}\n`);
    sendFile(res, await fileResponse(file), headOnly);
  }

  /** The two calls the page makes here in the AWS wire formats: sign-in (Cognito user pools) and registration (API Gateway). */
  async function serveCall(req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void> {
    const requestId = randomUUID();
    const userPool = rawPath === '/';
    try {
      const body = await readBody(req, MAX_BODY_BYTES);
      if (userPool) {
        const target = req.headers['x-amz-target'];
        if (target !== USER_POOL_TARGET) throw new ServiceError('UnknownOperationException', `The local user pool answers ${USER_POOL_TARGET} only, not ${String(target)}.`, {}, 400);
        return sendJson(res, 'json-1.1', requestId, 200, initiateAuth(parseJson(body), options.ctx));
      }
      const signed = { method: 'POST', path: rawPath, query: rawQuery, headers: req.headers, bodySha256: sha256Hex(body) };
      const reading = readSignature(signed);
      if (reading.kind === 'signed' && reading.claim.service !== REGISTER_SERVICE) {
        throw new ServiceError('InvalidSignatureException', `Credential should be scoped to correct service: '${REGISTER_SERVICE}', not '${reading.claim.service}'.`, {}, 403);
      }
      sendJson(res, 'rest-json', requestId, 200, await register(await options.authenticator.authenticate(signed), options.app, options.store));
    } catch (err) {
      if (res.destroyed) return;
      const protocol = userPool ? 'json-1.1' : 'rest-json';
      if (!(err instanceof ServiceError) && !(err instanceof ValidationError)) options.logError?.(`web app: POST ${rawPath} failed`, err);
      sendError(res, protocol, requestId, toServiceError(err, protocol));
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { rawPath, rawQuery } = splitTarget(req.url);
    try {
      if (!isLocalHostHeader(req.headers.host, port)) {
        req.resume();
        return sendText(res, 421, `This server answers to localhost:${port} and 127.0.0.1:${port} only.\n`);
      }
      const isCall = req.method === 'POST' && ((rawPath === '/' && req.headers['x-amz-target'] !== undefined) || rawPath === REGISTER_PATH);
      if (isCall) return await serveCall(req, res, rawPath, rawQuery);
      req.resume();
      await serveFile(req, res, rawPath);
    } catch (err) {
      options.logError?.(`web app: ${req.method} ${rawPath} failed`, err);
      if (!res.headersSent) sendText(res, 500, 'Internal failure in the local IoT Core; see its log.\n');
      else res.destroy();
    } finally {
      options.logRequest?.(`WEB ${req.method} ${rawPath} ${res.statusCode}`);
    }
  }

  const server: Server = createHttpServer((req, res) => void serve(req, res), options.limits);
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    const { rawPath } = splitTarget(req.url);
    if (rawPath !== MQTT_PATH || !isLocalHostHeader(req.headers.host, port)) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    proxyMqttUpgrade(req, socket, head, options.broker);
  });
  const sockets = trackSockets(server);
  port = await listen(server, options.host, options.port, '--web-port');
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { port, url: `http://${host}:${port}/`, identityPoolId: options.app.identityPoolId, close: () => closeServer(server, sockets) };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ServiceError('InvalidParameterException', 'The request body is not valid JSON.', {}, 400);
  }
}
