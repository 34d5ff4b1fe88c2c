/**
 * Who is asking, as the policy evaluator needs to know it: a registered
 * certificate, a Cognito identity behind temporary credentials, or the root
 * key. Also the rules that turn a principal and its connection into policy
 * variables (which thing is "the connection's thing", the certificate's fields).
 */
import type { CertificateFacts, PolicyContext } from '../../core/policy/index.js';
import { certificateFacts as readFacts } from '../../pki/certificate-facts.js';
import { certificateKey, type Arns, type PrincipalKey } from '../arns.js';
import type { ThingRecord } from '../store/model.js';
import type { Registry } from '../store/registry.js';

export type Principal =
  | { kind: 'certificate'; certificateId: string; key: PrincipalKey; facts: CertificateFacts }
  /** The emulator's root key: the account root, allowed everything. */
  | { kind: 'root'; accessKeyId: string }
  | { kind: 'cognito'; accessKeyId: string; identityId: string; poolId: string; authenticated: boolean; roleArn: string };

/** What a connection adds to the principal: its client id and where it came from. */
export interface ConnectionFacts {
  /**
   * `https`: a request of the HTTPS data plane. It has no client id and no
   * thing: AWS resolves iot:Connection.Thing.* only over MQTT and MQTT over WebSocket.
   */
  protocol?: 'mqtt' | 'https';
  clientId?: string;
  sourceIp?: string;
  /** The host name the client asked for (SNI or Host), iot:DomainName. */
  domainName?: string;
  /** iot:ConnectAttributes: PersistentConnect, LastWill. */
  connectAttributes?: string[];
}

/** The principal as AWS prints it in ARNs and logs. */
export function principalName(principal: Principal, arns: Arns): string {
  switch (principal.kind) {
    case 'certificate':
      return arns.cert(principal.certificateId);
    case 'cognito':
      return principal.identityId;
    case 'root':
      return `arn:aws:iam::${arns.accountId}:root`;
  }
}

/** The kind of principal, as the auth log names it. */
export function principalKind(principal: Principal): 'certificate' | 'cognito-authenticated' | 'cognito-unauthenticated' | 'root' {
  if (principal.kind !== 'cognito') return principal.kind;
  return principal.authenticated ? 'cognito-authenticated' : 'cognito-unauthenticated';
}

/** The registry key IoT policies are attached to (none for the root key). */
export function principalKey(principal: Principal): PrincipalKey | undefined {
  if (principal.kind === 'certificate') return principal.key;
  if (principal.kind === 'cognito') return principal.identityId;
  return undefined;
}

const factsCache = new Map<string, CertificateFacts>();
const MAX_CACHED_FACTS = 10_000;

/** iot:Certificate.* facts of a registered certificate (read once per certificate, as `policy test` reads them). */
export function certificateFacts(certificateId: string, pem: string): CertificateFacts {
  const hit = factsCache.get(certificateId);
  if (hit) return hit;
  const facts = readFacts(pem);
  if (factsCache.size >= MAX_CACHED_FACTS) factsCache.clear();
  factsCache.set(certificateId, facts);
  return facts;
}

export function certificatePrincipal(certificateId: string, pem: string): Principal {
  return { kind: 'certificate', certificateId, key: certificateKey(certificateId), facts: certificateFacts(certificateId, pem) };
}

/**
 * The thing whose variables (iot:Connection.Thing.*) a connection gets. An
 * EXCLUSIVE_THING attachment names it outright; otherwise the classic rule
 * applies: the thing attached to the principal whose name equals the client id.
 * Unauthenticated Cognito identities and the root key have none.
 */
export function connectionThing(registry: Registry, principal: Principal, clientId: string | undefined): ThingRecord | undefined {
  if (principal.kind === 'root' || (principal.kind === 'cognito' && !principal.authenticated)) return undefined;
  const attached = registry.thingsFor(principal.kind === 'certificate' ? principal.key : principal.identityId);
  if (attached.length === 0) return undefined;
  const exclusive = attached.find((t) => t.type === 'EXCLUSIVE_THING');
  const name = exclusive?.thingName ?? attached.find((t) => t.thingName === clientId)?.thingName;
  return name === undefined ? undefined : registry.things.get(name);
}

/** The request context the policy variables are resolved from. */
export function policyContext(registry: Registry, principal: Principal, connection: ConnectionFacts): PolicyContext {
  const context: PolicyContext = {};
  if (connection.clientId !== undefined) context.clientId = connection.clientId;
  if (connection.sourceIp !== undefined) context.sourceIp = connection.sourceIp;
  if (connection.domainName !== undefined) context.domainName = connection.domainName;
  if (connection.connectAttributes?.length) context.connectAttributes = connection.connectAttributes;
  const thing = connection.protocol === 'https' ? undefined : connectionThing(registry, principal, connection.clientId);
  if (thing) context.thing = { name: thing.name, typeName: thing.typeName, attributes: thing.attributes, attached: true };
  if (principal.kind === 'certificate') context.certificate = principal.facts;
  if (principal.kind === 'cognito') context.cognito = { identityId: principal.identityId, poolId: principal.poolId, amr: [principal.authenticated ? 'authenticated' : 'unauthenticated'] };
  return context;
}
