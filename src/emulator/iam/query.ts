/**
 * The AWS query protocol as IAM speaks it: `POST /` with an
 * application/x-www-form-urlencoded body (`Action=CreateRole&Version=2010-05-08&...`),
 * answered in XML (`<CreateRoleResponse><CreateRoleResult>...`, errors as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error>`). Lists are
 * `Name.member.N` in requests and `<Name><member>` in responses.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { requireString, optionalString, queryInteger, type StringRule } from '../validate.js';

export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const IAM_VERSION = '2010-05-08';
export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** The service a SigV4 Authorization header's credential scope names (`.../<region>/<service>/aws4_request`). */
export function scopeService(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /Credential=[^/,]+\/\d{8}\/[^/,]+\/([^/,]+)\/aws4_request/.exec(authorization)?.[1];
}

/** A query-protocol request: form-encoded, to `/`, with no X-Amz-Target (that would be JSON 1.1). */
export function isQueryRequest(method: string, path: string, headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return method === 'POST' && path === '/' && headers['x-amz-target'] === undefined && typeof type === 'string' && /^application\/x-www-form-urlencoded\b/i.test(type);
}

/** Decodes a form body ('+' is a space; the AWS CLI sends it, the SDK sends %20). Undefined if badly encoded. */
export function parseForm(text: string): Map<string, string> | undefined {
  const fields = new Map<string, string>();
  const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    for (const part of text.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const key = decode(eq < 0 ? part : part.slice(0, eq));
      if (!fields.has(key)) fields.set(key, eq < 0 ? '' : decode(part.slice(eq + 1)));
    }
  } catch {
    return undefined;
  }
  return fields;
}

/** IAM names members in validation messages in lowerCamelCase ('roleName'). */
const memberName = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/** The typed view of a form that operations read their input from. */
export class QueryParams {
  constructor(private readonly fields: ReadonlyMap<string, string>) {}

  required(name: string, rule?: StringRule): string {
    return requireString(this.fields.get(name), memberName(name), rule);
  }

  optional(name: string, rule?: StringRule): string | undefined {
    return optionalString(this.fields.get(name), memberName(name), rule);
  }

  integer(name: string, range: { min?: number; max?: number }): number | undefined {
    return queryInteger(this.fields.get(name), memberName(name), range);
  }

  /** A list of structures (`Tags.member.1.Key=k&Tags.member.1.Value=v`), in member order. */
  structures(name: string): Record<string, string>[] {
    const prefix = `${name}.member.`;
    const byIndex = new Map<number, Record<string, string>>();
    for (const [key, value] of this.fields) {
      if (!key.startsWith(prefix)) continue;
      const m = /^(\d{1,4})\.(\w+)$/.exec(key.slice(prefix.length));
      if (!m) continue;
      const index = Number(m[1]);
      if (!byIndex.has(index)) byIndex.set(index, Object.create(null));
      byIndex.get(index)![m[2]!] = value;
    }
    return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, member]) => member);
  }
}

/** What a result may hold: nested structures, lists (written as `<member>`s), dates, scalars. */
export type XmlValue = string | number | boolean | Date | XmlValue[] | { [member: string]: XmlValue | undefined };

// XML 1.0 cannot carry these at all, not even as character references.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function escapeXml(text: string): string {
  return text.replace(NOT_XML, '\ufffd').replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]!};`);
}

/** ISO 8601 in seconds, as IAM writes dates (`2026-11-21T08:59:44Z`). */
const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function element(name: string, value: XmlValue): string {
  let inner: string;
  if (Array.isArray(value)) inner = value.map((v) => element('member', v)).join('');
  else if (value instanceof Date) inner = isoSeconds(value);
  else if (typeof value === 'object') {
    inner = Object.entries(value)
      .filter((entry): entry is [string, XmlValue] => entry[1] !== undefined)
      .map(([k, v]) => element(k, v))
      .join('');
  } else inner = escapeXml(String(value));
  return `<${name}>${inner}</${name}>`;
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>...` (no Result element for operations without output). */
export function queryResponseXml(action: string, requestId: string, result: Record<string, XmlValue | undefined> | undefined, xmlns = IAM_XMLNS): string {
  const body = result === undefined ? '' : element(`${action}Result`, result);
  return `${XML_DECLARATION}<${action}Response xmlns="${xmlns}">${body}${element('ResponseMetadata', { RequestId: requestId })}</${action}Response>\n`;
}

/** `<ErrorResponse><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/></ErrorResponse>`. */
export function queryErrorXml(code: string, message: string, requestId: string, status: number, xmlns = IAM_XMLNS): string {
  const error = element('Error', { Type: status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: message });
  return `${XML_DECLARATION}<ErrorResponse xmlns="${xmlns}">${error}${element('RequestId', requestId)}</ErrorResponse>\n`;
}
