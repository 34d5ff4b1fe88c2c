/**
 * Turns `iotctl policy test` flags into an authorization request (action +
 * resource ARN) and the principal's context (client id, thing, certificate,
 * Cognito identity, source IP, extra variables).
 */
import { usageError } from '../core/errors.js';
import { COGNITO_ID, isAccountId } from '../core/aws-ids.js';
import { canonicalAction, parseIp, resourceForAction, type AuthRequest, type PolicyContext } from '../core/policy/index.js';
import { checkClientId, checkTopicFilter, checkTopicName } from '../core/topic.js';
import { readCertificateFacts } from '../identity/certificate-facts.js';
import { parsePairs } from '../core/parse.js';

export interface RequestFlags {
  action: string;
  resource: string;
  clientId?: string;
  thing?: string;
  thingType?: string;
  attr?: string[];
  cert?: string;
  cognitoId?: string;
  sourceIp?: string;
  var?: string[];
  accountId?: string;
}

export interface PreparedRequest {
  request: AuthRequest;
  context: PolicyContext;
  region: string;
  account: string;
  /** Problems with the request that AWS would reject before any policy is checked. */
  warnings: string[];
}

export const DEFAULT_ACCOUNT = '123456789012';

/** `Publish` or `iot:publish` → `iot:Publish`; other services pass through. */
export function normalizeAction(action: string): string {
  const withService = action.includes(':') ? action : `iot:${action}`;
  const known = canonicalAction(withService);
  if (known) return known;
  if (!action.includes(':')) {
    throw usageError('UNKNOWN_ACTION', `"${action}" is not an AWS IoT action.`, 'e.g. --action iot:Connect, iot:Publish, iot:Subscribe, iot:Receive or iot:RetainPublish');
  }
  return action;
}

/** What AWS IoT itself would refuse, whatever the policy says (a wildcard in a PUBLISH topic, ...). */
function protocolWarnings(action: string, name: string): string[] {
  const lower = action.toLowerCase();
  const problem =
    lower === 'iot:connect'
      ? checkClientId(name)
      : lower === 'iot:subscribe'
        ? checkTopicFilter(name)
        : ['iot:publish', 'iot:receive', 'iot:retainpublish'].includes(lower)
          ? checkTopicName(name)
          : undefined;
  return problem ? [`${problem.message} AWS IoT rejects it before checking policies.`] : [];
}

function variables(flags: RequestFlags): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of parsePairs(flags.var, '--var')) {
    const prev = out[name];
    out[name] = prev === undefined ? value : [...(typeof prev === 'string' ? [prev] : prev), value];
  }
  return out;
}

export async function prepareRequest(flags: RequestFlags, region: string): Promise<PreparedRequest> {
  const action = normalizeAction(flags.action);
  const account = flags.accountId ?? DEFAULT_ACCOUNT;
  if (!isAccountId(account)) throw usageError('BAD_ACCOUNT', `--account-id must be a 12-digit AWS account id, not "${account}".`);
  const resource = resourceForAction(action, flags.resource, { region, account });
  const bare = resource === flags.resource ? undefined : flags.resource;

  if ((flags.thingType || flags.attr?.length) && !flags.thing) {
    throw usageError('THING_REQUIRED', '--thing-type and --attr describe the attached thing, so they need --thing.', 'e.g. --thing lamp-1 --thing-type lamp --attr floor=2');
  }
  if (flags.sourceIp !== undefined && !parseIp(flags.sourceIp)) {
    throw usageError('BAD_SOURCE_IP', `--source-ip "${flags.sourceIp}" is not an IPv4 or IPv6 address.`);
  }
  if (flags.cognitoId !== undefined && !COGNITO_ID.test(flags.cognitoId)) {
    throw usageError('BAD_COGNITO_ID', `--cognito-id "${flags.cognitoId}" is not a Cognito identity id.`, 'it looks like us-east-1:01234567-89ab-cdef-0123-456789abcdef');
  }

  const context: PolicyContext = {};
  // iot:Connect is checked against the client id itself; other actions take it from --client-id or the thing name.
  const clientId = flags.clientId ?? (action === 'iot:Connect' && bare !== undefined ? bare : flags.thing);
  if (clientId !== undefined) context.clientId = clientId;
  if (flags.thing !== undefined) {
    context.thing = { name: flags.thing, attributes: Object.fromEntries(parsePairs(flags.attr, '--attr')) };
    if (flags.thingType !== undefined) context.thing.typeName = flags.thingType;
  }
  if (flags.cert !== undefined) context.certificate = await readCertificateFacts(flags.cert);
  if (flags.cognitoId !== undefined) context.cognito = { identityId: flags.cognitoId, amr: ['authenticated'] };
  if (flags.sourceIp !== undefined) context.sourceIp = flags.sourceIp;
  context.variables = variables(flags);

  return {
    request: { action, resource },
    context,
    region,
    account,
    warnings: bare === undefined ? [] : protocolWarnings(action, bare),
  };
}

/** The flag that gives a missing variable a value (flags already given are not suggested again). */
export function hintForVariable(name: string, flags: Pick<RequestFlags, 'thing'> = {}): string {
  const lower = name.toLowerCase();
  const thing = flags.thing === undefined ? '--thing and ' : '';
  if (lower.startsWith('iot:connection.thing.attributes')) return `pass ${thing}--attr NAME=VALUE`;
  if (lower === 'iot:connection.thing.thingtypename') return `pass ${thing}--thing-type`;
  if (lower.startsWith('iot:connection.thing.')) return 'pass --thing';
  if (lower === 'iot:clientid') return 'pass --client-id';
  if (lower.startsWith('iot:certificate') || lower === 'iot:certificateid') return 'pass --cert FILE (values with * $ + ? # are never substituted)';
  if (lower === 'cognito-identity.amazonaws.com:sub') return 'pass --cognito-id';
  if (lower === 'aws:sourceip') return 'pass --source-ip';
  return `pass --var ${name}=VALUE`;
}
