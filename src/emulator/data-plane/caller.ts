/**
 * Who sends an HTTPS data-plane request, and what it may do. A request proves
 * who it is by itself: a SigV4 signature (service `iotdata`) or, without one,
 * the client certificate of its TLS connection, registered and ACTIVE. Its
 * policy decisions come from the one engine (authorization/authority.ts),
 * with the request's facts: no client id and no thing over HTTP.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Arns } from '../arns.js';
import type { Authenticator } from '../auth.js';
import { Authority, type DecisionReport, type OnUnreadable } from '../authorization/authority.js';
import { certificatePrincipal, principalKind, principalName, type Principal } from '../authorization/principal.js';
import type { AuthLog, AuthLogEntry } from '../broker/auth-log.js';
import type { PublisherFacts } from '../broker/broker.js';
import { certificateProblem } from '../broker/tls-listener.js';
import { toPrincipal } from '../broker/ws-listener.js';
import { peerAddress } from '../connection-guard.js';
import { ServiceError } from '../errors.js';
import type { SignableRequest, SignatureReading } from '../sigv4.js';
import type { Registry } from '../store/registry.js';

/** botocore's signing name for the `iot-data` service. */
export const SIGNING_SERVICE = 'iotdata';

/** The words that say why a variable a policy needs has no value over HTTPS. */
const HTTPS_VARIABLES_NOTE =
  'over HTTPS a request has no client id and no thing: AWS resolves iot:ClientId and iot:Connection.Thing.* only for MQTT connections';

/** A refusal before the principal is known (no credentials, bad signature, unusable certificate). */
export class AuthenticationFailure extends ServiceError {
  constructor(
    code: string,
    message: string,
    /** The certificate ARN or access key id, when the request named one. */
    readonly claimed?: string,
  ) {
    super(code, message);
  }
}

export interface CallerOptions {
  registry: () => Registry;
  arns: Arns;
  authenticator: Authenticator;
  now: () => number;
  /** Moves whenever a decision may change (policies, attachments, things, roles). */
  generation: () => number;
  onUnreadable?: OnUnreadable;
  log: AuthLog;
}

/** The request as the caller's identification needs it. */
export interface IdentifiedRequest {
  socket: TLSSocket;
  host: string | undefined;
  signature: SignatureReading;
  /** Reads the body (under the route's limit) and gives what a signature covers; only called for signed requests. */
  signable(): Promise<SignableRequest>;
}

/** One request's principal and its decisions. */
export class Caller {
  constructor(
    readonly principal: Principal,
    private readonly authority: Authority,
    private readonly arns: Arns,
    private readonly log: AuthLog,
  ) {}

  get sourceIp(): string | undefined {
    return this.authority.connection.sourceIp;
  }

  /** For the broker: who published. */
  get publisher(): PublisherFacts {
    return { principal: this.principal, transport: 'https', sourceIp: this.sourceIp };
  }

  /** Who, for log lines. */
  describe(): Pick<AuthLogEntry, 'transport' | 'sourceIp' | 'principal' | 'principalKind'> {
    return { transport: 'https', sourceIp: this.sourceIp, principal: principalName(this.principal, this.arns), principalKind: principalKind(this.principal) };
  }

  /** Allowed, or a logged 403 ForbiddenException that says why. */
  require(action: string, resource: string): void {
    if (this.authority.allowed(action, resource)) return;
    const r = this.authority.report(action, resource);
    const reason = r.missingVariables.length > 0 && r.missingVariables.some(unavailableOverHttps) ? `${r.reason} (${HTTPS_VARIABLES_NOTE})` : r.reason;
    const who = this.describe();
    this.log.write(
      { event: 'denied', ...who, ...decisionFields(r), reason, outcome: 'HTTP 403' },
      // A device retrying a denied request every second is one line every 10 s.
      `https\n${who.principal}\n${action}\n${resource}`,
    );
    throw new ServiceError('ForbiddenException', `Forbidden: ${reason}`);
  }
}

const unavailableOverHttps = (variable: string) => /^iot:(clientid|connection\.thing\.)/i.test(variable);

function decisionFields(r: DecisionReport): Pick<AuthLogEntry, 'action' | 'resource' | 'decision' | 'deciding' | 'missingVariables' | 'policies'> {
  return { action: r.action, resource: r.resource, decision: r.decision, deciding: r.deciding, missingVariables: r.missingVariables, policies: r.policies };
}

interface Cached {
  key: string;
  authority: Authority;
}

/**
 * Identifies the callers of one listener. A keep-alive connection keeps its
 * principal's compiled policies between requests (rebuilt when the registry's
 * generation moves), so a stream of publishes costs one compilation.
 */
export class Callers {
  private readonly bySocket = new WeakMap<TLSSocket, Cached>();
  private readonly certificateIds = new WeakMap<TLSSocket, string | null>();

  constructor(private readonly options: CallerOptions) {}

  /** The caller of a request; an AuthenticationFailure (401 or 403) when it proves nobody. */
  async identify(req: IdentifiedRequest): Promise<Caller> {
    const principal = await this.principalOf(req);
    const { socket } = req;
    const key = principal.kind === 'certificate' ? `cert/${principal.certificateId}` : `${principal.kind}/${principal.accessKeyId}`;
    let cached = this.bySocket.get(socket);
    if (cached?.key !== key) {
      const sourceIp = peerAddress(socket.remoteAddress);
      const domainName = typeof socket.servername === 'string' ? socket.servername : req.host;
      const authority = new Authority(
        principal,
        { protocol: 'https', sourceIp, domainName },
        { registry: this.options.registry, arns: this.options.arns, generation: this.options.generation, onUnreadable: this.options.onUnreadable },
      );
      cached = { key, authority };
      this.bySocket.set(socket, cached);
    }
    return new Caller(principal, cached.authority, this.options.arns, this.options.log);
  }

  private async principalOf(req: IdentifiedRequest): Promise<Principal> {
    const { signature } = req;
    // A signature speaks for the request whatever certificate the connection has.
    if (signature.kind === 'invalid') throw new AuthenticationFailure(signature.problem.code, signature.problem.message);
    if (signature.kind === 'signed') {
      const claim = signature.claim;
      if (claim.service !== SIGNING_SERVICE) {
        throw new AuthenticationFailure('InvalidSignatureException', `Credential should be scoped to correct service: '${SIGNING_SERVICE}', not '${claim.service}'.`, claim.accessKeyId);
      }
      const signable = await req.signable();
      try {
        return toPrincipal(await this.options.authenticator.verify(signable, claim));
      } catch (err) {
        if (err instanceof ServiceError) throw new AuthenticationFailure(err.code, err.message, claim.accessKeyId);
        throw err;
      }
    }
    const id = this.certificateId(req.socket);
    if (id === undefined) {
      throw new AuthenticationFailure(
        'UnauthorizedException',
        `Missing authentication: present a client certificate (mutual TLS, as on port 8443) or sign the request with SigV4 (service ${SIGNING_SERVICE}).`,
      );
    }
    const registry = this.options.registry();
    const problem = certificateProblem(registry, id, this.options.now());
    if (problem) throw new AuthenticationFailure('ForbiddenException', `Forbidden: ${problem}`, registry.arns.cert(id));
    try {
      return certificatePrincipal(id, registry.certificate(id)!.pem);
    } catch (err) {
      throw new AuthenticationFailure('ForbiddenException', `Forbidden: the certificate ${id} cannot be read: ${(err as Error).message}`, registry.arns.cert(id));
    }
  }

  /** The SHA-256 of the connection's client certificate (its certificateId), read once per connection. */
  private certificateId(socket: TLSSocket): string | undefined {
    let id = this.certificateIds.get(socket);
    if (id === undefined) {
      const raw = socket.getPeerCertificate()?.raw;
      id = raw ? createHash('sha256').update(raw).digest('hex') : null;
      this.certificateIds.set(socket, id);
    }
    return id ?? undefined;
  }
}
