/**
 * The MQTT 5 properties of an HTTPS Publish, where botocore's `iot-data` model
 * puts them: `contentType`, `responseTopic` and `messageExpiry` in the query;
 * user properties (base64 of a JSON array such as `[{"a":"1"},{"b":"2"}]`),
 * the payload format indicator and the correlation data (base64) in
 * `x-amz-mqtt5-*` headers. Anything malformed is a 400 that names it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { checkTopicName } from '../../core/topic.js';
import type { MessageProperties } from '../broker/broker.js';
import { invalidRequest } from '../errors.js';

/** AWS IoT's longest message expiry: seven days. */
export const MAX_MESSAGE_EXPIRY_SECONDS = 604_800;

const HEADERS = {
  userProperties: 'x-amz-mqtt5-user-properties',
  payloadFormat: 'x-amz-mqtt5-payload-format-indicator',
  correlationData: 'x-amz-mqtt5-correlation-data',
} as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function base64(text: string, what: string): Buffer {
  const trimmed = text.trim();
  if (!BASE64.test(trimmed)) throw invalidRequest(`The ${what} must be base64.`);
  return Buffer.from(trimmed, 'base64');
}

function userProperties(text: string): [string, string][] {
  const what = `${HEADERS.userProperties} header`;
  let value: unknown;
  try {
    value = JSON.parse(base64(text, what).toString('utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) throw invalidRequest(`The ${what} must be base64 of a JSON array such as [{"name": "value"}].`);
    throw err;
  }
  if (!Array.isArray(value)) throw invalidRequest(`The ${what} must hold a JSON array of objects, such as [{"name": "value"}].`);
  const out: [string, string][] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidRequest(`Each user property in the ${what} must be an object such as {"name": "value"}.`);
    for (const [name, v] of Object.entries(item as Record<string, unknown>)) {
      if (typeof v !== 'string') throw invalidRequest(`The user property "${name}" must have a string value.`);
      out.push([name, v]);
    }
  }
  return out;
}

function messageExpiry(text: string): number {
  if (!/^\d{1,12}$/.test(text)) throw invalidRequest(`messageExpiry must be a whole number of seconds, not "${text}".`);
  const seconds = Number(text);
  if (seconds > MAX_MESSAGE_EXPIRY_SECONDS) throw invalidRequest(`messageExpiry is ${seconds} s; AWS IoT allows at most ${MAX_MESSAGE_EXPIRY_SECONDS} (7 days).`);
  // AWS IoT treats 0 as the minimum, 1 second.
  return Math.max(seconds, 1);
}

/** The properties of a Publish, or undefined when it has none. */
export function readProperties(query: Map<string, string>, headers: IncomingHttpHeaders, payload: Buffer): MessageProperties | undefined {
  const p: MessageProperties = {};
  const contentType = query.get('contentType');
  if (contentType !== undefined) p.contentType = contentType;
  const responseTopic = query.get('responseTopic');
  if (responseTopic !== undefined) {
    const problem = checkTopicName(responseTopic);
    if (problem) throw invalidRequest(`responseTopic is not a valid topic: ${problem.message}`);
    p.responseTopic = responseTopic;
  }
  const expiry = query.get('messageExpiry');
  if (expiry !== undefined) p.messageExpirySeconds = messageExpiry(expiry);
  const users = header(headers, HEADERS.userProperties);
  if (users !== undefined) p.userProperties = userProperties(users);
  const correlation = header(headers, HEADERS.correlationData);
  if (correlation !== undefined) p.correlationData = base64(correlation, `${HEADERS.correlationData} header`);
  const format = header(headers, HEADERS.payloadFormat);
  if (format !== undefined) {
    if (format !== 'UTF8_DATA' && format !== 'UNSPECIFIED_BYTES') throw invalidRequest(`The ${HEADERS.payloadFormat} header must be UTF8_DATA or UNSPECIFIED_BYTES, not "${format}".`);
    p.payloadFormatUtf8 = format === 'UTF8_DATA';
    if (p.payloadFormatUtf8) {
      try {
        utf8.decode(payload);
      } catch {
        throw invalidRequest(`The payload is declared UTF8_DATA (${HEADERS.payloadFormat}) but is not valid UTF-8.`);
      }
    }
  }
  return Object.keys(p).length > 0 ? p : undefined;
}
