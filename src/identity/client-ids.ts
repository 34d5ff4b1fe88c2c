/**
 * What a freshly provisioned device can do under its policy, found by asking
 * the policy engine offline: the client id it may connect with (its thing name
 * when allowed, else one its Connect statements suggest, e.g. `<homeId>-<thing>`
 * under the home template), whether sessions beside it may add a suffix, and a
 * topic filter to suggest in the `next:` hint. Pure.
 */
import { buildVariables, compilePolicy, isAllowed, iotArn, type PolicyContext } from '../core/policy/index.js';

export interface DeviceScope {
  thingName: string;
  region: string;
  account: string;
}

export interface DeviceAccess {
  /** The client id the device's own connection uses. */
  clientId: string;
  /** Whether the policy also allows `<clientId>-<suffix>` (for pub, sub and tail beside the device). */
  extraClientIds: boolean;
  /** False when the policy allows no client id iotctl could find. */
  connectAllowed: boolean;
  /** A filter the device may subscribe to and receive on, for the `next:` hint. */
  filter?: string;
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

const list = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const THING_VARIABLE = /\$\{iot:Connection\.Thing\.ThingName\}/g;

/** Allow statements' resource names of one type (`client`, `topicfilter`), with the thing name substituted. */
function allowedNames(document: string, action: string, type: string, thingName: string): string[] {
  let statements: Statement[];
  try {
    const doc = JSON.parse(document) as { Statement?: unknown };
    statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).filter((s): s is Statement => typeof s === 'object' && s !== null);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const s of statements) {
    if (s.Effect !== 'Allow' || !list(s.Action).some((a) => a === '*' || a.toLowerCase() === 'iot:*' || a.toLowerCase() === action.toLowerCase())) continue;
    for (const resource of list(s.Resource)) {
      const at = resource.indexOf(`:${type}/`);
      if (at >= 0) names.push(resource.slice(at + type.length + 2).replace(THING_VARIABLE, thingName));
    }
  }
  return names;
}

export function deviceAccess(document: string, scope: DeviceScope): DeviceAccess {
  let policies;
  try {
    policies = [compilePolicy({ name: 'device', document })];
  } catch {
    return { clientId: scope.thingName, connectAllowed: false, extraClientIds: false };
  }
  const arnScope = { region: scope.region, account: scope.account };
  const context = (clientId: string): PolicyContext => ({ clientId, thing: { name: scope.thingName, attached: true } });
  const mayConnect = (id: string) => isAllowed(policies, { action: 'iot:Connect', resource: iotArn('client', id, arnScope) }, buildVariables(context(id)));

  // The thing name first; then what the Connect statements name, a trailing * filled with the thing name.
  const candidates = [scope.thingName];
  for (const name of allowedNames(document, 'iot:Connect', 'client', scope.thingName)) {
    const filled = name.endsWith('*') ? name.slice(0, -1) + scope.thingName : name;
    if (!/[*?$]/.test(filled) && filled.length <= 128) candidates.push(filled);
  }
  const clientId = candidates.find(mayConnect);
  const chosen = clientId ?? scope.thingName;

  const mayWatch = (filter: string) =>
    isAllowed(policies, { action: 'iot:Subscribe', resource: iotArn('topicfilter', filter, arnScope) }, buildVariables(context(chosen))) &&
    isAllowed(policies, { action: 'iot:Receive', resource: iotArn('topic', filter.replace(/#$/, 'x'), arnScope) }, buildVariables(context(chosen)));
  const filter = allowedNames(document, 'iot:Subscribe', 'topicfilter', scope.thingName)
    .map((name) => (name.endsWith('/*') ? name.slice(0, -1) + '#' : name))
    .find((f) => !/[*?$]/.test(f) && mayWatch(f));

  return { clientId: chosen, connectAllowed: clientId !== undefined, extraClientIds: clientId !== undefined && mayConnect(`${chosen}-sub-0000`), filter };
}
