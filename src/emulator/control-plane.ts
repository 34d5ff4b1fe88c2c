/**
 * The control plane: one HTTP handler for IoT (REST-JSON), Cognito Identity
 * (JSON 1.1, `POST /` + X-Amz-Target), IAM (the query protocol, `POST /` with
 * a form body) and the local-only routes (/_local/...).
 * Every request gets an AWS-shaped answer; nothing a client sends can throw
 * past this handler.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Authenticator } from './auth.js';
import { ServiceError, ValidationError, type Protocol } from './errors.js';
import { readBody } from './http/body.js';
import { sendError, sendPreflight, sendResult, toServiceError } from './http/respond.js';
import { Router, type Route } from './http/router.js';
import type { Handler, Signer, ServiceContext, ServiceRequest } from './http/types.js';
import { certificateRoutes } from './iot/certificates.js';
import { endpointRoutes } from './iot/endpoint.js';
import { policyRoutes } from './iot/policies.js';
import { testAuthorizationRoutes } from './iot/test-authorization.js';
import { thingRoutes } from './iot/things.js';
import { TARGET_PREFIX, cognitoOperations } from './cognito/operations.js';
import { iamOperations } from './iam/operations.js';
import { QueryParams, STS_XMLNS, isQueryRequest, parseForm, scopeService } from './iam/query.js';
import { getCallerIdentity } from './iam/sts.js';
import type { RoleInlinePolicy } from './store/model.js';
import { localLoginRoutes } from './cognito/local-login.js';
import { sha256Hex } from './sigv4.js';
import { queryMap, splitTarget } from './http/target.js';

/** Temporary (Cognito) credentials calling a signed operation. */
export interface AuthorizationRequest {
  principal: Extract<Signer, { kind: 'session' }>;
  /** e.g. `iot:CreateThing`, `cognito-identity:DescribeIdentityPool`. */
  action: string;
  /** The role's inline policies (undefined if the role is unknown locally). */
  rolePolicies: readonly RoleInlinePolicy[] | undefined;
  /** The resource the operation acts on (a thing, policy, certificate or identity pool ARN), or `*`. */
  resource: string;
}

/**
 * Decides whether temporary credentials may call a control-plane operation.
 * createEmulator plugs in the policy evaluator (the role policy, IAM-style);
 * a ControlPlane built without one denies.
 */
export type ControlPlaneAuthorizer = (request: AuthorizationRequest) => boolean | Promise<boolean>;

export interface ControlPlaneOptions {
  ctx: ServiceContext;
  auth: Authenticator;
  maxBodyBytes: number;
  authorize?: ControlPlaneAuthorizer;
  /** What GET /_local/health answers (unsigned; `iotctl local status` probes it). */
  health: () => Record<string, unknown>;
  /** One line per request (verbose logs). */
  logRequest?: (line: string) => void;
  /** Unexpected failures (bugs), with their stack. */
  logError?: (message: string, err: unknown) => void;
}

interface Resolved {
  operation: string;
  service: 'iot' | 'cognito-identity' | 'iam' | 'sts' | 'local';
  handler: Handler;
  params: Record<string, string>;
  unsigned: boolean;
}

const healthRoute = (health: () => Record<string, unknown>): Route => ({
  method: 'GET',
  path: '/_local/health',
  operation: 'Health',
  handler: () => health(),
  unsigned: true,
});

function headerText(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export class ControlPlane {
  private readonly iot = new Router([...certificateRoutes, ...policyRoutes, ...thingRoutes, ...endpointRoutes, ...testAuthorizationRoutes]);
  private readonly local: Router;

  constructor(private readonly options: ControlPlaneOptions) {
    this.local = new Router([healthRoute(options.health), ...localLoginRoutes]);
  }

  /** The request listener for node:http. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.serve(req, res);
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    const { rawPath, rawQuery } = splitTarget(req.url);
    const target = headerText(req, 'x-amz-target');
    const protocol: Protocol = isQueryRequest(method, rawPath, req.headers) ? 'query' : target !== undefined && rawPath === '/' ? 'json-1.1' : 'rest-json';
    let operation = '-';
    try {
      // CORS preflight: a web page calling Cognito Identity or IoT.
      if (method === 'OPTIONS') return sendPreflight(req, res, 'GET,POST,PUT,PATCH,DELETE');
      const body = await readBody(req, this.options.maxBodyBytes);
      const resolved = protocol === 'query' ? this.resolveQuery(body, scopeService(headerText(req, 'authorization'))) : this.resolve(method, rawPath, target);
      operation = resolved.operation;
      const principal: Signer = resolved.unsigned
        ? { kind: 'anonymous' }
        : await this.options.auth.authenticate({ method, path: rawPath, query: rawQuery, headers: req.headers, bodySha256: sha256Hex(body) });
      await this.authorize(principal, resolved, body);
      const result = await resolved.handler(serviceRequest(operation, method, resolved.params, rawQuery, req, body, principal), this.options.ctx);
      sendResult(res, protocol, requestId, operation, result, resolved.service === 'sts' ? STS_XMLNS : undefined);
    } catch (err) {
      if (res.destroyed || req.socket.destroyed) return;
      const error = toServiceError(err, protocol);
      if (!(err instanceof ServiceError) && !(err instanceof ValidationError)) this.options.logError?.(`${method} ${rawPath} (${operation}) failed`, err);
      sendError(res, protocol, requestId, error);
    } finally {
      if (this.options.logRequest) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        this.options.logRequest(`${method} ${rawPath} ${operation} ${res.statusCode} ${ms.toFixed(1)}ms`);
      }
    }
  }

  private resolve(method: string, rawPath: string, target: string | undefined): Resolved {
    if (target !== undefined && rawPath === '/') {
      const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
      const op = name === undefined ? undefined : cognitoOperations.get(name);
      if (!op || method !== 'POST') throw new ServiceError('UnknownOperationException', `The local IoT Core does not support ${method} ${target}.`);
      return { operation: name!, service: 'cognito-identity', handler: op.handler, params: {}, unsigned: op.unsigned === true };
    }
    const local = rawPath.startsWith('/_local/');
    const match = (local ? this.local : this.iot).match(method, rawPath);
    if (!match) throw new ServiceError('UnknownOperationException', `The local IoT Core does not support ${method} ${rawPath}.`);
    const { route, params } = match;
    return { operation: route.operation, service: local ? 'local' : 'iot', handler: route.handler, params, unsigned: route.unsigned === true };
  }

  /** IAM and STS (told apart by the signature's scope): the form's `Action` names the operation. */
  private resolveQuery(body: Buffer, service: string | undefined): Resolved {
    const fields = parseForm(body.toString('utf8'));
    if (!fields) throw new ServiceError('MalformedQueryString', 'The request body is not a validly encoded form.');
    const action = fields.get('Action');
    if (action === undefined) throw new ServiceError('MissingAction', 'Missing Action');
    if (service === 'sts') {
      if (action !== 'GetCallerIdentity') throw new ServiceError('InvalidAction', `The local IoT Core supports only GetCallerIdentity of STS, not ${action}.`);
      return { operation: action, service: 'sts', handler: (req, ctx) => getCallerIdentity(req.principal, ctx), params: {}, unsigned: false };
    }
    const op = iamOperations.get(action);
    if (!op) throw new ServiceError('InvalidAction', `Could not find operation ${action} for version ${fields.get('Version') ?? 'NO_VERSION_SPECIFIED'}`);
    const input = new QueryParams(fields);
    return { operation: action, service: 'iam', handler: (_req, ctx) => op(input, ctx), params: {}, unsigned: false };
  }

  /** The root key may do anything; temporary credentials need the authorizer's yes; IAM and local routes are root-only. */
  private async authorize(principal: Signer, resolved: Resolved, body: Buffer): Promise<void> {
    if (principal.kind !== 'session' || resolved.service === 'sts') return;
    const denied = (code: string) =>
      new ServiceError(code, `User: ${this.options.ctx.arns.assumedRole(principal.session.roleArn)} is not authorized to perform: ${resolved.service}:${resolved.operation}`);
    if (resolved.service === 'local' || resolved.service === 'iam') throw denied('AccessDeniedException');
    const allowed = await this.options.authorize?.({
      principal,
      action: `${resolved.service}:${resolved.operation}`,
      rolePolicies: this.options.ctx.store.registry.rolePolicies(principal.session.roleArn),
      resource: this.resourceOf(resolved, body),
    });
    if (!allowed) throw denied(resolved.service === 'iot' ? 'UnauthorizedException' : 'NotAuthorizedException');
  }

  /** The ARN an IAM policy sees for the operation: the thing, policy, certificate or identity pool it names, else `*`. */
  private resourceOf(resolved: Resolved, body: Buffer): string {
    const { arns } = this.options.ctx;
    const { thingName, policyName, certificateId } = resolved.params;
    if (thingName !== undefined) return arns.thing(thingName);
    if (policyName !== undefined) return arns.policy(policyName);
    if (certificateId !== undefined) return arns.cert(certificateId);
    if (resolved.service === 'cognito-identity') {
      try {
        const poolId = (JSON.parse(body.toString('utf8')) as { IdentityPoolId?: unknown }).IdentityPoolId;
        if (typeof poolId === 'string') return `arn:aws:cognito-identity:${arns.region}:${arns.accountId}:identitypool/${poolId}`;
      } catch {
        // the handler reports bad JSON
      }
    }
    return '*';
  }
}

function serviceRequest(
  operation: string,
  method: string,
  params: Record<string, string>,
  rawQuery: string,
  req: IncomingMessage,
  body: Buffer,
  principal: Signer,
): ServiceRequest {
  const query = queryMap(rawQuery);
  if (!query) throw new ValidationError('The query string is not validly percent-encoded.');
  let parsed: Record<string, unknown> | undefined;
  return {
    operation,
    method,
    params,
    query,
    headers: req.headers,
    body,
    principal,
    json() {
      if (parsed) return parsed;
      if (body.length === 0) return (parsed = {});
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        throw new ValidationError('The request body is not valid JSON.');
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('The request body must be a JSON object.');
      return (parsed = value as Record<string, unknown>);
    },
  };
}
