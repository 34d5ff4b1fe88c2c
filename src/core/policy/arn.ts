/** AWS IoT ARNs, and which ARN an action is checked against (facts sheet 1.2). */
import { usageError } from '../errors.js';

export type IotResourceType = 'client' | 'topic' | 'topicfilter' | 'thing' | 'cert' | 'policy';

export interface ArnScope {
  /** Default `*`. */
  region?: string;
  /** Default `*`. */
  account?: string;
  partition?: string;
}

export function iotArn(type: IotResourceType, name: string, scope: ArnScope = {}): string {
  return `arn:${scope.partition ?? 'aws'}:iot:${scope.region ?? '*'}:${scope.account ?? '*'}:${type}/${name}`;
}

/** The resource type each data-plane action is authorized against. */
const ACTION_RESOURCE: ReadonlyMap<string, IotResourceType> = new Map(Object.entries({
  'iot:connect': 'client',
  'iot:deleteconnection': 'client',
  'iot:publish': 'topic',
  'iot:receive': 'topic',
  'iot:retainpublish': 'topic',
  'iot:getretainedmessage': 'topic',
  'iot:subscribe': 'topicfilter',
  'iot:getthingshadow': 'thing',
  'iot:updatethingshadow': 'thing',
  'iot:deletethingshadow': 'thing',
  'iot:listnamedshadowsforthing': 'thing',
} satisfies Record<string, IotResourceType>));

/** The resource type an action is checked against (lowercase-insensitive), or undefined for others. */
export function resourceTypeFor(action: string): IotResourceType | undefined {
  return ACTION_RESOURCE.get(action.toLowerCase());
}

/**
 * The ARN a request is authorized against: a full ARN is taken as is; a bare
 * topic, topic filter, client id or thing name gets the type its action needs
 * (iot:Connect → client/, iot:Publish/Receive/RetainPublish → topic/,
 * iot:Subscribe → topicfilter/). iot:ListRetainedMessages is checked against `*`.
 */
export function resourceForAction(action: string, target: string, scope: ArnScope = {}): string {
  if (target.startsWith('arn:') || target === '*') return target;
  if (action.toLowerCase() === 'iot:listretainedmessages') return '*';
  const type = resourceTypeFor(action);
  if (!type) {
    throw usageError('POLICY_RESOURCE_NEEDS_ARN', `iotctl cannot tell which ARN "${action}" is checked against.`, `pass the full ARN, e.g. ${iotArn('thing', target, scope)}`);
  }
  return iotArn(type, target, scope);
}

export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** e.g. `topic/a/b`. */
  resource: string;
  /** `topic`, `client`, ... (before the first `/`), or undefined when there is no `/`. */
  type?: string;
  /** After the first `/`. */
  name?: string;
}

/** Splits an ARN (the resource part may contain `:`); undefined for `*` or non-ARNs. */
export function parseArn(arn: string): ArnParts | undefined {
  if (!arn.startsWith('arn:')) return undefined;
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  const resource = parts.slice(5).join(':');
  const slash = resource.indexOf('/');
  const out: ArnParts = { partition: parts[1]!, service: parts[2]!, region: parts[3]!, account: parts[4]!, resource };
  if (slash >= 0) {
    out.type = resource.slice(0, slash);
    out.name = resource.slice(slash + 1);
  }
  return out;
}
