/**
 * Policy variables: `${name}` references in Resource and Condition values, the
 * request context they are resolved from, and the escapes `${*}`, `${?}`, `${$}`.
 */
import {
  ALT_NAME_KINDS,
  DN_FIELDS,
  MAX_CERT_VALUES,
  isSubstitutableCertValue,
  type AltNames,
  type CertificateFacts,
  type DistinguishedName,
} from './certificate.js';

/** What is known about the principal and its connection when a request is authorized. */
export interface PolicyContext {
  clientId?: string;
  /** The thing attached to the principal; its variables exist only while attached. */
  thing?: { name: string; typeName?: string; attributes?: Readonly<Record<string, string>>; attached?: boolean };
  certificate?: CertificateFacts;
  cognito?: { identityId?: string; poolId?: string; amr?: readonly string[] };
  sourceIp?: string;
  domainName?: string;
  /** iot:ConnectAttributes, e.g. PersistentConnect, LastWill. */
  connectAttributes?: readonly string[];
  /** Any other variable or condition key (e.g. `--var k=v`); wins over the values above. */
  variables?: Readonly<Record<string, string | readonly string[]>>;
}

/** A `${...}` reference, parsed once when a policy is compiled. */
export interface VariableRef {
  /** As written, without `${}` and without a default, e.g. `iot:Certificate.Subject.OrganizationalUnit.1`. */
  name: string;
  /** The lookup key: the base name, normalized (see normalizeKey). */
  key: string;
  /** Which value: an index (0 = the plain name, `.1` = the second value) or all values (`.List`). */
  select: number | 'list';
  /** IAM's `${name, 'default'}`: used when the variable has no value. */
  fallback?: string;
}

/** Text from the policy: `glob` keeps wildcards, `literal` is an escape; `var` is a reference. */
export type TemplatePart = { glob: string } | { literal: string } | { ref: VariableRef };

/**
 * Variable names and condition keys are case-insensitive (IAM); thing attribute
 * names inside `[...]` are not.
 */
export function normalizeKey(name: string): string {
  const bracket = name.indexOf('[');
  if (bracket < 0) return name.toLowerCase();
  const close = name.lastIndexOf(']');
  if (close < bracket) return name.toLowerCase();
  return name.slice(0, bracket).toLowerCase() + name.slice(bracket, close + 1) + name.slice(close + 1).toLowerCase();
}

/** Looked up by what a document writes inside `${...}`: a Map, so `${constructor}` is a variable like any other. */
const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['*', '*'],
  ['?', '?'],
  ['$', '$'],
]);

/** Parses a reference body (`iot:ClientId`, `x.List`, `a, 'default'`). */
export function parseVariableRef(body: string): VariableRef {
  let name = body.trim();
  let fallback: string | undefined;
  const withDefault = /^(.*?)\s*,\s*'([^']*)'$/s.exec(name);
  if (withDefault) {
    name = withDefault[1]!;
    fallback = withDefault[2]!;
  }
  let base = name;
  let select: number | 'list' = 0;
  const list = /\.list$/i.exec(name);
  const index = /\.(\d+)$/.exec(name);
  if (list) {
    base = name.slice(0, list.index);
    select = 'list';
  } else if (index) {
    base = name.slice(0, index.index);
    select = Number(index[1]);
  }
  return fallback === undefined ? { name, key: normalizeKey(base), select } : { name, key: normalizeKey(base), select, fallback };
}

/**
 * Splits policy text into wildcard text, escapes and variable references. With
 * `substitute` false (Version 2008-10-17 or none), `${...}` is plain text, as in IAM.
 * An unclosed `${` is plain text.
 */
export function parseTemplate(text: string, substitute = true): TemplatePart[] {
  if (!substitute || !text.includes('${')) return [{ glob: text }];
  const parts: TemplatePart[] = [];
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf('${', pos);
    const close = open < 0 ? -1 : text.indexOf('}', open + 2);
    if (open < 0 || close < 0) {
      parts.push({ glob: text.slice(pos) });
      break;
    }
    if (open > pos) parts.push({ glob: text.slice(pos, open) });
    const body = text.slice(open + 2, close);
    const escape = ESCAPES.get(body);
    parts.push(escape !== undefined ? { literal: escape } : { ref: parseVariableRef(body) });
    pos = close + 1;
  }
  return parts;
}

type Slot = { name: string; values: readonly (string | undefined)[]; defined: readonly string[] | undefined };

/** Patterns memoized per bag; beyond this the memo starts over (policies were replaced many times). */
const MAX_MEMO = 4096;

/**
 * The values of every variable and condition key for one principal/connection.
 * Build it once per connection (buildVariables) and reuse it for each request.
 * A value of `undefined` inside a list is a value AWS would not substitute.
 */
export class VariableBag {
  private readonly slots = new Map<string, Slot>();
  /**
   * Per-bag results of compiled patterns (keyed by the pattern object), so a
   * connection resolves each pattern's variables once, not on every request.
   */
  readonly memo = new Map<object, unknown>();

  remember(owner: object, value: unknown): void {
    if (this.memo.size >= MAX_MEMO) this.memo.clear();
    this.memo.set(owner, value);
  }

  /** Sets a variable (any case); undefined or an empty list removes it. */
  set(name: string, value: string | readonly (string | undefined)[] | undefined): this {
    this.memo.clear();
    const key = normalizeKey(name);
    if (value === undefined || (typeof value !== 'string' && value.length === 0)) this.slots.delete(key);
    else {
      const values = typeof value === 'string' ? [value] : value;
      const defined = values.filter((v): v is string => v !== undefined);
      this.slots.set(key, { name, values, defined: defined.length > 0 ? defined : undefined });
    }
    return this;
  }

  /** The single value a reference selects, else undefined (then its default, if any). */
  value(ref: VariableRef): string | undefined {
    const slot = this.slots.get(ref.key);
    const found = slot === undefined || ref.select === 'list' ? undefined : slot.values[ref.select];
    return found ?? ref.fallback;
  }

  /** All substitutable values of a key (for ForAnyValue/ForAllValues), or undefined when it has none. */
  list(ref: VariableRef): readonly string[] | undefined {
    const slot = this.slots.get(ref.key);
    if (slot === undefined) return ref.fallback === undefined ? undefined : [ref.fallback];
    return slot.defined;
  }

  has(name: string): boolean {
    return this.slots.has(normalizeKey(name));
  }

  /** Every variable with its values, as set (for explanations and --json). */
  entries(): { name: string; values: (string | null)[] }[] {
    return [...this.slots.values()].map((s) => ({ name: s.name, values: s.values.map((v) => v ?? null) }));
  }
}

/** Up to 5 values; those AWS would not substitute become holes, so `.1` still means the second value. */
function certValues(values: readonly string[] | undefined): (string | undefined)[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.slice(0, MAX_CERT_VALUES).map((v) => (isSubstitutableCertValue(v) ? v : undefined));
}

function setCertificate(bag: VariableBag, cert: CertificateFacts): void {
  const available: string[] = [];
  const put = (name: string, values: readonly string[] | undefined) => {
    const safe = certValues(values);
    if (!safe) return;
    bag.set(name, safe);
    if (safe.some((v) => v !== undefined)) available.push(name);
  };
  const names = (side: 'Subject' | 'Issuer', dn: DistinguishedName | undefined, alt: AltNames | undefined) => {
    for (const field of DN_FIELDS) put(`iot:Certificate.${side}.${field}`, dn?.[field]);
    for (const kind of ALT_NAME_KINDS) put(`iot:Certificate.${side}.AlternativeName.${kind}`, alt?.[kind]);
  };
  names('Subject', cert.subject, cert.subjectAltNames);
  names('Issuer', cert.issuer, cert.issuerAltNames);
  if (cert.serialNumber !== undefined) put('iot:Certificate.SerialNumber', [cert.serialNumber]);
  if (cert.id !== undefined) bag.set('iot:CertificateId', cert.id);
  if (available.length > 0) bag.set('iot:Certificate.AvailableKeys', available);
}

/** The variables and condition keys a request context provides. */
export function buildVariables(context: PolicyContext): VariableBag {
  const bag = new VariableBag();
  if (context.clientId !== undefined) bag.set('iot:ClientId', context.clientId);
  const thing = context.thing && context.thing.attached !== false ? context.thing : undefined;
  bag.set('iot:Connection.Thing.IsAttached', thing ? 'true' : 'false');
  if (thing) {
    bag.set('iot:Connection.Thing.ThingName', thing.name);
    bag.set('iot:Connection.Thing.ThingTypeName', thing.typeName);
    for (const [attr, value] of Object.entries(thing.attributes ?? {})) bag.set(`iot:Connection.Thing.Attributes[${attr}]`, value);
  }
  if (context.certificate) setCertificate(bag, context.certificate);
  if (context.cognito) {
    bag.set('cognito-identity.amazonaws.com:sub', context.cognito.identityId);
    bag.set('cognito-identity.amazonaws.com:aud', context.cognito.poolId);
    bag.set('cognito-identity.amazonaws.com:amr', context.cognito.amr);
  }
  bag.set('aws:SourceIp', context.sourceIp);
  bag.set('iot:DomainName', context.domainName);
  bag.set('iot:ConnectAttributes', context.connectAttributes);
  for (const [name, value] of Object.entries(context.variables ?? {})) bag.set(name, value);
  return bag;
}

/** Documented variable names (normalized), for lint: exact names and prefixes. */
const KNOWN_EXACT = new Set(
  [
    'iot:ClientId',
    'iot:Connection.Thing.ThingName',
    'iot:Connection.Thing.ThingTypeName',
    'iot:Connection.Thing.IsAttached',
    'iot:Certificate.SerialNumber',
    'iot:Certificate.AvailableKeys',
    'iot:CertificateId',
    'iot:DomainName',
    'iot:ConnectAttributes',
    'cognito-identity.amazonaws.com:sub',
    'cognito-identity.amazonaws.com:aud',
    'cognito-identity.amazonaws.com:amr',
    'aws:SourceIp',
    ...['Subject', 'Issuer'].flatMap((side) => [
      ...DN_FIELDS.map((f) => `iot:Certificate.${side}.${f}`),
      ...ALT_NAME_KINDS.map((k) => `iot:Certificate.${side}.AlternativeName.${k}`),
    ]),
  ].map(normalizeKey),
);

/** Whether a key (normalized, without `.N`/`.List`) is a documented AWS IoT variable. */
export function isKnownVariable(key: string): boolean {
  return KNOWN_EXACT.has(key) || /^iot:connection\.thing\.attributes\[[^\]]+\]$/.test(key) || /^aws:/.test(key);
}

/** Whether a key is one of the thing variables (they need a thing attached to the principal). */
export function isThingVariable(key: string): boolean {
  return key.startsWith('iot:connection.thing.') && key !== 'iot:connection.thing.isattached';
}
