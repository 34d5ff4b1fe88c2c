/**
 * The MQTT 5 properties a message keeps while it waits (retained, or queued
 * for an offline persistent session), and their form on disk. Only what AWS
 * forwards to subscribers is kept; the remaining Message Expiry Interval is
 * derived from the absolute `messageExpiry` when the message goes out.
 */

export interface KeptProperties {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
}

/** On disk: correlation data as base64. */
export interface StoredProperties {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: string;
  userProperties?: Record<string, string | string[]>;
}

interface AnyProperties {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer | Uint8Array;
  userProperties?: Record<string, string | string[]>;
  messageExpiryInterval?: number;
}

/** The properties of a message worth keeping, or undefined when it has none. */
export function keptProperties(properties: AnyProperties | undefined): KeptProperties | undefined {
  if (!properties) return undefined;
  const out: KeptProperties = {};
  if (properties.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = properties.payloadFormatIndicator;
  if (properties.contentType !== undefined) out.contentType = properties.contentType;
  if (properties.responseTopic !== undefined) out.responseTopic = properties.responseTopic;
  if (properties.correlationData !== undefined) out.correlationData = Buffer.from(properties.correlationData);
  if (properties.userProperties !== undefined) out.userProperties = properties.userProperties;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** When a message expires (epoch ms), from its Message Expiry Interval; undefined when it does not. */
export function expiresAt(properties: AnyProperties | undefined, now: number): number | undefined {
  const seconds = properties?.messageExpiryInterval;
  return seconds !== undefined && seconds > 0 ? now + seconds * 1000 : undefined;
}

export function storeProperties(p: KeptProperties | undefined): StoredProperties | undefined {
  if (!p) return undefined;
  const { correlationData, ...rest } = p;
  return correlationData === undefined ? rest : { ...rest, correlationData: correlationData.toString('base64') };
}

export function loadProperties(p: StoredProperties | undefined): KeptProperties | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const { correlationData, ...rest } = p;
  return correlationData === undefined ? rest : { ...rest, correlationData: Buffer.from(correlationData, 'base64') };
}
