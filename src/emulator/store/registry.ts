/**
 * The registry: every resource of the local IoT Core in memory, with the
 * indexes the data plane queries on each MQTT operation (policies of a
 * principal, things of a principal). Mutations are synchronous and check every
 * precondition before changing anything, so a thrown ServiceError leaves the
 * registry untouched; StateStore makes them durable.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { certificateKey, type Arns, type PrincipalKey } from '../arns.js';
import { ServiceError, alreadyExists, deleteConflict, invalidRequest, notFound } from '../errors.js';
import { policySize } from '../policy-document.js';
import type {
  CertificateRecord,
  CertificateStatus,
  IdentityPoolRecord,
  IdentityRecord,
  PolicyRecord,
  PolicyVersionRecord,
  RoleInlinePolicy,
  RoleRecord,
  SessionRecord,
  ThingPrincipalType,
  ThingRecord,
} from './model.js';

export const MAX_POLICIES_PER_PRINCIPAL = 10;
export const MAX_POLICY_VERSIONS = 5;
/** Without a thing type a thing has at most 3 attributes (50 with one). */
export const MAX_ATTRIBUTES_WITHOUT_TYPE = 3;
/** IAM: a role's inline policies together, whitespace excluded. */
export const MAX_ROLE_POLICY_CHARS = 10240;

/**
 * The trust policy of roles made without one (createEmulator({ roles }), state
 * written before roles had trust policies): any Cognito identity pool may use them.
 */
export const COGNITO_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
});

/** What CreateRole gives. */
export type NewRole = Omit<RoleRecord, 'id' | 'policies' | 'createdAt' | 'updatedAt'>;

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `AROA` and 17 characters, the shape of IAM's role ids; derived from `seed` when given (stable across loads). */
function roleId(seed?: string): string {
  const bytes = seed === undefined ? randomBytes(17) : createHash('sha256').update(seed).digest();
  let id = 'AROA';
  for (let i = 0; i < 17; i++) id += ID_ALPHABET[bytes[i]! % ID_ALPHABET.length];
  return id;
}

/** What changed, emitted after the change is durable (the data plane reacts, e.g. drops a revoked certificate's connections). */
export type ChangeEvent =
  | { type: 'certificate'; id: string; status: CertificateStatus | 'DELETED' }
  | { type: 'policy'; name: string; deleted: boolean }
  | { type: 'policy-attachment'; policyName: string; principal: PrincipalKey; attached: boolean }
  | { type: 'thing'; name: string; deleted: boolean }
  | { type: 'thing-principal'; thingName: string; principal: PrincipalKey; attached: boolean }
  | { type: 'identity-pool'; id: string; deleted: boolean }
  | { type: 'role'; name: string; deleted: boolean };

/** A policy as the data plane evaluates it: its default version. */
export interface EffectivePolicy {
  policyName: string;
  policyArn: string;
  versionId: string;
  document: string;
}

export interface ThingUpdate {
  typeName?: string;
  removeThingType?: boolean;
  attributes?: Record<string, string>;
  merge?: boolean;
  expectedVersion?: number;
}

/** The persisted form (state.json). */
export interface Snapshot {
  format: 1;
  certificates: CertificateRecord[];
  policies: PolicyRecord[];
  things: ThingRecord[];
  /** [policyName, principal] in attach order. */
  policyAttachments: [string, PrincipalKey][];
  /** [thingName, principal, type]. */
  thingAttachments: [string, PrincipalKey, ThingPrincipalType][];
  identityPools: IdentityPoolRecord[];
  identities: IdentityRecord[];
  sessions: SessionRecord[];
  roles: RoleRecord[];
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V> | Map<V, unknown>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

const loginKey = (poolId: string, provider: string, subject: string) => `${poolId}\n${provider}\n${subject}`;

export class Registry {
  readonly certificates = new Map<string, CertificateRecord>();
  readonly policies = new Map<string, PolicyRecord>();
  readonly things = new Map<string, ThingRecord>();
  readonly identityPools = new Map<string, IdentityPoolRecord>();
  readonly identities = new Map<string, IdentityRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly roles = new Map<string, RoleRecord>();

  private readonly principalPolicies = new Map<PrincipalKey, Set<string>>();
  private readonly policyTargets = new Map<string, Set<PrincipalKey>>();
  private readonly principalThings = new Map<PrincipalKey, Map<string, ThingPrincipalType>>();
  private readonly thingPrincipals = new Map<string, Map<PrincipalKey, ThingPrincipalType>>();
  private readonly identitiesByLogin = new Map<string, string>();
  private pending: ChangeEvent[] = [];

  constructor(readonly arns: Arns) {}

  /** The changes since the last call (StateStore emits them once durable). */
  takeEvents(): ChangeEvent[] {
    const events = this.pending;
    this.pending = [];
    return events;
  }

  // ---------------------------------------------------------------- queries

  certificate(id: string): CertificateRecord | undefined {
    return this.certificates.get(id);
  }

  requireCertificate(id: string): CertificateRecord {
    const cert = this.certificates.get(id);
    if (!cert) throw notFound(`The certificate ${id} does not exist.`);
    return cert;
  }

  requirePolicy(name: string): PolicyRecord {
    const policy = this.policies.get(name);
    if (!policy) throw notFound(`The policy ${name} does not exist.`);
    return policy;
  }

  requireThing(name: string): ThingRecord {
    const thing = this.things.get(name);
    if (!thing) throw notFound(`Thing ${name} cannot be found.`);
    return thing;
  }

  requirePolicyVersion(name: string, versionId: string): { policy: PolicyRecord; version: PolicyVersionRecord } {
    const policy = this.requirePolicy(name);
    const version = policy.versions.find((v) => v.id === versionId);
    if (!version) throw notFound(`Version ${versionId} of the policy ${name} does not exist.`);
    return { policy, version };
  }

  /** Names of the policies attached to a principal, in attach order. */
  policyNamesFor(principal: PrincipalKey): string[] {
    return [...(this.principalPolicies.get(principal) ?? [])];
  }

  /** The default version of every policy attached to a principal: what the data plane evaluates. */
  policiesFor(principal: PrincipalKey): EffectivePolicy[] {
    const out: EffectivePolicy[] = [];
    for (const name of this.principalPolicies.get(principal) ?? []) {
      const policy = this.policies.get(name)!;
      const version = policy.versions.find((v) => v.id === policy.defaultVersionId)!;
      out.push({ policyName: name, policyArn: this.arns.policy(name), versionId: version.id, document: version.document });
    }
    return out;
  }

  targetsOf(policyName: string): PrincipalKey[] {
    return [...(this.policyTargets.get(policyName) ?? [])];
  }

  /** Things attached to a principal (a certificate is usually attached to one). */
  thingsFor(principal: PrincipalKey): { thingName: string; type: ThingPrincipalType }[] {
    return [...(this.principalThings.get(principal) ?? [])].map(([thingName, type]) => ({ thingName, type }));
  }

  principalsOf(thingName: string): PrincipalKey[] {
    return [...(this.thingPrincipals.get(thingName)?.keys() ?? [])];
  }

  /** Live temporary credentials by access key ID (expired ones are reported as such by the caller). */
  session(accessKeyId: string): SessionRecord | undefined {
    return this.sessions.get(accessKeyId);
  }

  /**
   * The inline policies of the role an ARN names, or undefined when the role is
   * unknown here (it grants nothing). The data plane evaluates them together:
   * allowed if one allows, and an explicit Deny in any of them wins.
   */
  rolePolicies(roleArn: string): readonly RoleInlinePolicy[] | undefined {
    const name = this.arns.roleName(roleArn);
    const role = name === undefined ? undefined : this.roles.get(name);
    return role && this.arns.role(role.name, role.path) === roleArn ? role.policies : undefined;
  }

  identityByLogin(poolId: string, provider: string, subject: string): IdentityRecord | undefined {
    const id = this.identitiesByLogin.get(loginKey(poolId, provider, subject));
    return id === undefined ? undefined : this.identities.get(id);
  }

  // ----------------------------------------------------------- certificates

  addCertificate(record: CertificateRecord): void {
    // The same DER can only be registered once (CreateCertificateFromCsr issues a fresh serial each time).
    if (this.certificates.has(record.id)) throw alreadyExists('The certificate is already provisioned or registered', record.id, this.arns.cert(record.id));
    this.certificates.set(record.id, record);
    this.pending.push({ type: 'certificate', id: record.id, status: record.status });
  }

  setCertificateStatus(id: string, status: CertificateStatus, now: number): void {
    const cert = this.requireCertificate(id);
    if (cert.status === status) return;
    if (cert.status === 'REVOKED') throw new ServiceError('CertificateStateException', `A revoked certificate cannot change its status. Id: ${id}`);
    cert.status = status;
    cert.updatedAt = now;
    cert.customerVersion++;
    cert.generationId = randomUUID();
    this.pending.push({ type: 'certificate', id, status });
  }

  deleteCertificate(id: string, forceDelete: boolean): void {
    const cert = this.requireCertificate(id);
    const key = certificateKey(id);
    if (cert.status === 'ACTIVE') throw new ServiceError('CertificateStateException', `Certificate must be deactivated (not ACTIVE) before deletion. Id: ${id}`);
    if (this.principalThings.has(key)) throw deleteConflict(`Things must be detached before deletion (arn: ${this.arns.cert(id)})`);
    if (this.principalPolicies.has(key) && !forceDelete) throw deleteConflict(`Certificate policies must be detached before deletion (arn: ${this.arns.cert(id)})`);
    for (const policyName of this.policyNamesFor(key)) this.unlinkPolicy(policyName, key);
    this.certificates.delete(id);
    this.pending.push({ type: 'certificate', id, status: 'DELETED' });
  }

  // --------------------------------------------------------------- policies

  createPolicy(name: string, document: string, tags: PolicyRecord['tags'], now: number): PolicyRecord {
    if (this.policies.has(name)) throw alreadyExists(`Policy cannot be created - name already exists (name=${name})`, name, this.arns.policy(name));
    const policy: PolicyRecord = {
      name,
      createdAt: now,
      updatedAt: now,
      defaultVersionId: '1',
      nextVersionId: 2,
      generationId: randomUUID(),
      versions: [{ id: '1', document, createdAt: now }],
      tags,
    };
    this.policies.set(name, policy);
    this.pending.push({ type: 'policy', name, deleted: false });
    return policy;
  }

  createPolicyVersion(name: string, document: string, setAsDefault: boolean, now: number): PolicyVersionRecord {
    const policy = this.requirePolicy(name);
    if (policy.versions.length >= MAX_POLICY_VERSIONS) {
      throw new ServiceError('VersionsLimitExceededException', `The policy ${name} already has the maximum number of versions (${MAX_POLICY_VERSIONS}).`);
    }
    const version = { id: String(policy.nextVersionId++), document, createdAt: now };
    policy.versions.push(version);
    if (setAsDefault) this.makeDefault(policy, version.id, now);
    this.pending.push({ type: 'policy', name, deleted: false });
    return version;
  }

  setDefaultPolicyVersion(name: string, versionId: string, now: number): void {
    const { policy } = this.requirePolicyVersion(name, versionId);
    this.makeDefault(policy, versionId, now);
    this.pending.push({ type: 'policy', name, deleted: false });
  }

  private makeDefault(policy: PolicyRecord, versionId: string, now: number): void {
    policy.defaultVersionId = versionId;
    policy.updatedAt = now;
    policy.generationId = randomUUID();
  }

  deletePolicyVersion(name: string, versionId: string): void {
    const { policy } = this.requirePolicyVersion(name, versionId);
    if (policy.defaultVersionId === versionId) throw deleteConflict(`Cannot delete the default version of a policy (name=${name}, version=${versionId})`);
    policy.versions = policy.versions.filter((v) => v.id !== versionId);
    this.pending.push({ type: 'policy', name, deleted: false });
  }

  deletePolicy(name: string): void {
    const policy = this.requirePolicy(name);
    if (this.policyTargets.has(name)) throw deleteConflict(`The policy cannot be deleted as the policy is attached to one or more principals (name=${name})`);
    if (policy.versions.length > 1) throw deleteConflict(`Cannot delete the policy because it has one or more versions other than the default (name=${name})`);
    this.policies.delete(name);
    this.pending.push({ type: 'policy', name, deleted: true });
  }

  /** A certificate principal must exist; a Cognito identity ID is taken as given (AWS does not check it either). */
  requirePrincipal(principal: PrincipalKey): void {
    if (principal.startsWith('cert/') && !this.certificates.has(principal.slice(5))) {
      throw notFound(`The certificate given in the principal does not exist (arn: ${this.arns.principalText(principal)}).`);
    }
  }

  /** Idempotent: attaching a pair that exists succeeds. */
  attachPolicy(name: string, principal: PrincipalKey): void {
    this.requirePolicy(name);
    this.requirePrincipal(principal);
    const attached = this.principalPolicies.get(principal);
    if (attached?.has(name)) return;
    if ((attached?.size ?? 0) >= MAX_POLICIES_PER_PRINCIPAL) {
      throw new ServiceError('LimitExceededException', `The principal ${this.arns.principalText(principal)} already has the maximum of ${MAX_POLICIES_PER_PRINCIPAL} policies attached.`);
    }
    addTo(this.principalPolicies, principal, name);
    addTo(this.policyTargets, name, principal);
    this.pending.push({ type: 'policy-attachment', policyName: name, principal, attached: true });
  }

  /** Detaching a pair that is not attached succeeds (nothing to do). */
  detachPolicy(name: string, principal: PrincipalKey): void {
    this.requirePolicy(name);
    this.requirePrincipal(principal);
    this.unlinkPolicy(name, principal);
  }

  private unlinkPolicy(name: string, principal: PrincipalKey): void {
    if (!this.principalPolicies.get(principal)?.has(name)) return;
    removeFrom(this.principalPolicies, principal, name);
    removeFrom(this.policyTargets, name, principal);
    this.pending.push({ type: 'policy-attachment', policyName: name, principal, attached: false });
  }

  // ----------------------------------------------------------------- things

  private checkAttributeCount(thing: { typeName?: string; attributes: Record<string, string> }): void {
    if (!thing.typeName && Object.keys(thing.attributes).length > MAX_ATTRIBUTES_WITHOUT_TYPE) {
      throw invalidRequest(`A thing without a thing type can have at most ${MAX_ATTRIBUTES_WITHOUT_TYPE} attributes.`);
    }
  }

  /** Idempotent when the thing exists with the same configuration, as on AWS. */
  createThing(name: string, typeName: string | undefined, attributes: Record<string, string>, now: number): ThingRecord {
    const existing = this.things.get(name);
    if (existing) {
      if (existing.typeName === typeName && sameAttributes(existing.attributes, attributes)) return existing;
      throw alreadyExists(`Thing ${name} already exists in account with different attributes`, existing.id, this.arns.thing(name));
    }
    const thing: ThingRecord = { name, id: randomUUID(), typeName, attributes: { ...attributes }, version: 1, createdAt: now };
    this.checkAttributeCount(thing);
    this.things.set(name, thing);
    this.pending.push({ type: 'thing', name, deleted: false });
    return thing;
  }

  private checkVersion(thing: ThingRecord, expectedVersion: number | undefined): void {
    if (expectedVersion !== undefined && expectedVersion !== thing.version) {
      throw new ServiceError('VersionConflictException', `The version for thing ${thing.name} does not match the expected version.`);
    }
  }

  updateThing(name: string, update: ThingUpdate): ThingRecord {
    const thing = this.requireThing(name);
    this.checkVersion(thing, update.expectedVersion);
    let attributes = thing.attributes;
    if (update.attributes) {
      // merge: an empty value removes the attribute; otherwise the given set replaces the old one.
      attributes = update.merge ? { ...thing.attributes, ...update.attributes } : { ...update.attributes };
      for (const [k, v] of Object.entries(attributes)) if (v === '') delete attributes[k];
    }
    const typeName = update.removeThingType ? undefined : (update.typeName ?? thing.typeName);
    this.checkAttributeCount({ typeName, attributes });
    thing.attributes = attributes;
    thing.typeName = typeName;
    thing.version++;
    this.pending.push({ type: 'thing', name, deleted: false });
    return thing;
  }

  /** Deleting a thing that does not exist succeeds, as on AWS. */
  deleteThing(name: string, expectedVersion: number | undefined): void {
    const thing = this.things.get(name);
    if (!thing) return;
    this.checkVersion(thing, expectedVersion);
    if (this.thingPrincipals.has(name)) throw invalidRequest(`Cannot delete. Thing ${name} is still attached to one or more principals`);
    this.things.delete(name);
    this.pending.push({ type: 'thing', name, deleted: true });
  }

  attachThingPrincipal(thingName: string, principal: PrincipalKey, type: ThingPrincipalType): void {
    this.requireThing(thingName);
    this.requirePrincipal(principal);
    const current = this.principalThings.get(principal);
    const existing = current?.get(thingName);
    if (existing === type) return;
    const others = [...(current ?? [])].filter(([name]) => name !== thingName);
    const exclusiveElsewhere = others.find(([, t]) => t === 'EXCLUSIVE_THING');
    if (exclusiveElsewhere) {
      throw invalidRequest(`The principal ${this.arns.principalText(principal)} is exclusively attached to the thing ${exclusiveElsewhere[0]}.`);
    }
    if (type === 'EXCLUSIVE_THING' && others.length > 0) {
      throw invalidRequest(`The principal ${this.arns.principalText(principal)} is attached to other things; it cannot be attached exclusively to ${thingName}.`);
    }
    let things = current;
    if (!things) this.principalThings.set(principal, (things = new Map()));
    things.set(thingName, type);
    let principals = this.thingPrincipals.get(thingName);
    if (!principals) this.thingPrincipals.set(thingName, (principals = new Map()));
    principals.set(principal, type);
    this.pending.push({ type: 'thing-principal', thingName, principal, attached: true });
  }

  detachThingPrincipal(thingName: string, principal: PrincipalKey): void {
    this.requireThing(thingName);
    this.requirePrincipal(principal);
    if (!this.thingPrincipals.get(thingName)?.has(principal)) return;
    removeFrom(this.thingPrincipals, thingName, principal);
    removeFrom(this.principalThings, principal, thingName);
    this.pending.push({ type: 'thing-principal', thingName, principal, attached: false });
  }

  // ------------------------------------------------------- cognito identity

  requireIdentityPool(id: string): IdentityPoolRecord {
    const pool = this.identityPools.get(id);
    if (!pool) throw notFound(`IdentityPool '${id}' not found.`);
    return pool;
  }

  requireIdentity(id: string): IdentityRecord {
    const identity = this.identities.get(id);
    if (!identity) throw notFound(`Identity '${id}' not found.`);
    return identity;
  }

  putIdentityPool(pool: IdentityPoolRecord): void {
    this.identityPools.set(pool.id, pool);
    this.pending.push({ type: 'identity-pool', id: pool.id, deleted: false });
  }

  deleteIdentityPool(id: string): void {
    this.requireIdentityPool(id);
    this.identityPools.delete(id);
    for (const identity of [...this.identities.values()]) if (identity.poolId === id) this.deleteIdentity(identity);
    this.pending.push({ type: 'identity-pool', id, deleted: true });
  }

  private deleteIdentity(identity: IdentityRecord): void {
    for (const [provider, subject] of Object.entries(identity.logins)) this.identitiesByLogin.delete(loginKey(identity.poolId, provider, subject));
    this.identities.delete(identity.id);
  }

  addIdentity(identity: IdentityRecord): void {
    this.identities.set(identity.id, identity);
    this.indexLogins(identity);
  }

  /** Links more logins to an identity (what AWS does when GetId/GetCredentialsForIdentity carries new ones). */
  linkLogins(identity: IdentityRecord, logins: Record<string, string>, now: number): void {
    // A spread defines keys (even `__proto__`) where Object.assign would call setters.
    identity.logins = { ...identity.logins, ...logins };
    identity.updatedAt = now;
    this.indexLogins(identity);
  }

  private indexLogins(identity: IdentityRecord): void {
    for (const [provider, subject] of Object.entries(identity.logins)) this.identitiesByLogin.set(loginKey(identity.poolId, provider, subject), identity.id);
  }

  addSession(session: SessionRecord): void {
    this.sessions.set(session.accessKeyId, session);
  }

  /** Forgets expired temporary credentials; returns how many. */
  pruneSessions(now: number): number {
    let removed = 0;
    for (const [key, s] of this.sessions) {
      if (s.expiresAt <= now) {
        this.sessions.delete(key);
        removed++;
      }
    }
    return removed;
  }

  // ---------------------------------------------------------------- IAM roles

  requireRole(name: string): RoleRecord {
    const role = this.roles.get(name);
    if (!role) throw new ServiceError('NoSuchEntity', `The role with name ${name} cannot be found.`);
    return role;
  }

  /** Role names are unique regardless of case, as in IAM. */
  createRole(input: NewRole, now: number): RoleRecord {
    const lower = input.name.toLowerCase();
    for (const existing of this.roles.keys()) {
      if (existing.toLowerCase() === lower) throw new ServiceError('EntityAlreadyExists', `Role with name ${existing} already exists.`);
    }
    const role: RoleRecord = { ...input, id: roleId(), policies: [], createdAt: now, updatedAt: now };
    this.roles.set(role.name, role);
    this.pending.push({ type: 'role', name: role.name, deleted: false });
    return role;
  }

  updateTrustPolicy(name: string, trustPolicy: string, now: number): void {
    const role = this.requireRole(name);
    role.trustPolicy = trustPolicy;
    role.updatedAt = now;
    this.pending.push({ type: 'role', name, deleted: false });
  }

  /** Creates or replaces an inline policy; the role's policies together stay within IAM's size quota. */
  putRolePolicy(roleName: string, policyName: string, document: string, now: number): void {
    const role = this.requireRole(roleName);
    const others = role.policies.filter((p) => p.name !== policyName);
    const total = others.reduce((sum, p) => sum + policySize(p.document), policySize(document));
    if (total > MAX_ROLE_POLICY_CHARS) throw new ServiceError('LimitExceeded', `Maximum policy size of ${MAX_ROLE_POLICY_CHARS} bytes exceeded for role ${roleName}`);
    const existing = role.policies.find((p) => p.name === policyName);
    if (existing) existing.document = document;
    else role.policies.push({ name: policyName, document });
    role.updatedAt = now;
    this.pending.push({ type: 'role', name: roleName, deleted: false });
  }

  requireRolePolicy(roleName: string, policyName: string): RoleInlinePolicy {
    const policy = this.requireRole(roleName).policies.find((p) => p.name === policyName);
    if (!policy) throw new ServiceError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`);
    return policy;
  }

  deleteRolePolicy(roleName: string, policyName: string): void {
    this.requireRolePolicy(roleName, policyName);
    const role = this.roles.get(roleName)!;
    role.policies = role.policies.filter((p) => p.name !== policyName);
    this.pending.push({ type: 'role', name: roleName, deleted: false });
  }

  deleteRole(name: string): void {
    const role = this.requireRole(name);
    if (role.policies.length > 0) throw new ServiceError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
    this.roles.delete(name);
    this.pending.push({ type: 'role', name, deleted: true });
  }

  /** createEmulator({ roles }): the role (made if missing, trusting Cognito) gets `document` as its inline policy `policyName`. */
  seedRole(name: string, policyName: string, document: string, now: number): void {
    if (!this.roles.has(name)) this.createRole({ name, path: '/', trustPolicy: COGNITO_TRUST_POLICY, maxSessionDuration: 3600, tags: [] }, now);
    this.putRolePolicy(name, policyName, document, now);
  }

  // ------------------------------------------------------------ persistence

  toSnapshot(): Snapshot {
    const policyAttachments: [string, PrincipalKey][] = [];
    for (const [principal, names] of this.principalPolicies) for (const name of names) policyAttachments.push([name, principal]);
    const thingAttachments: [string, PrincipalKey, ThingPrincipalType][] = [];
    for (const [principal, things] of this.principalThings) for (const [name, type] of things) thingAttachments.push([name, principal, type]);
    return {
      format: 1,
      certificates: [...this.certificates.values()],
      policies: [...this.policies.values()],
      things: [...this.things.values()],
      policyAttachments,
      thingAttachments,
      identityPools: [...this.identityPools.values()],
      identities: [...this.identities.values()],
      sessions: [...this.sessions.values()],
      roles: [...this.roles.values()],
    };
  }

  /** Rebuilds the registry and its indexes from a snapshot (checked by snapshotProblem; lists added later may be missing). */
  static fromSnapshot(arns: Arns, snapshot: Snapshot): Registry {
    const r = new Registry(arns);
    for (const c of snapshot.certificates ?? []) r.certificates.set(c.id, c);
    for (const p of snapshot.policies ?? []) r.policies.set(p.name, p);
    for (const t of snapshot.things ?? []) r.things.set(t.name, t);
    for (const [name, principal] of snapshot.policyAttachments ?? []) {
      if (!r.policies.has(name)) continue;
      addTo(r.principalPolicies, principal, name);
      addTo(r.policyTargets, name, principal);
    }
    for (const [thingName, principal, type] of snapshot.thingAttachments ?? []) {
      if (!r.things.has(thingName)) continue;
      if (!r.principalThings.has(principal)) r.principalThings.set(principal, new Map());
      r.principalThings.get(principal)!.set(thingName, type);
      if (!r.thingPrincipals.has(thingName)) r.thingPrincipals.set(thingName, new Map());
      r.thingPrincipals.get(thingName)!.set(principal, type);
    }
    for (const p of snapshot.identityPools ?? []) r.identityPools.set(p.id, p);
    for (const i of snapshot.identities ?? []) r.addIdentity(i);
    for (const s of snapshot.sessions ?? []) r.sessions.set(s.accessKeyId, s);
    for (const role of snapshot.roles ?? []) r.roles.set(role.name, upgradeRole(role));
    return r;
  }
}

/** A role as state.json held it before IAM: one document, no trust policy. It becomes the inline policy `iotctl`. */
function upgradeRole(role: RoleRecord | (Pick<RoleRecord, 'name' | 'createdAt' | 'updatedAt'> & { policyDocument: string })): RoleRecord {
  if (!('policyDocument' in role)) return role;
  const { name, policyDocument, createdAt, updatedAt } = role;
  return { name, path: '/', id: roleId(name), trustPolicy: COGNITO_TRUST_POLICY, maxSessionDuration: 3600, tags: [], policies: [{ name: 'iotctl', document: policyDocument }], createdAt, updatedAt };
}
