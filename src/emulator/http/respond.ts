/**
 * The one response writer, for results and errors in the three wire protocols:
 * REST-JSON (IoT: `x-amzn-ErrorType` + `{"message"}`), JSON 1.1 (Cognito:
 * the same header plus `x-amzn-ErrorMessage` and `{"__type","message"}`) and
 * the query protocol (IAM: XML, the code inside `<Error>`).
 * SDK v3 reads the code from the header, the AWS CLI from the header or `__type`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { INTERNAL_CODE, QUERY_CODES, ServiceError, VALIDATION_CODE, ValidationError, statusFor, type Protocol } from '../errors.js';
import { queryErrorXml, queryResponseXml, type XmlValue } from '../iam/query.js';

const CONTENT_TYPE: Record<Protocol, string> = { 'rest-json': 'application/json', 'json-1.1': 'application/x-amz-json-1.1', query: 'text/xml' };

/** Browsers (Cognito from a web page) need these to read our answers. */
export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date',
};

/**
 * A CORS preflight's answer: the methods given, and the request headers the
 * browser asked for (a SigV4 request sends Authorization and X-Amz-*, which a
 * `*` would not cover). No cookies are ever involved, so any origin may call.
 */
export function sendPreflight(req: IncomingMessage, res: ServerResponse, methods: string): void {
  req.resume();
  const asked = req.headers['access-control-request-headers'];
  res.writeHead(204, {
    ...CORS_HEADERS,
    'access-control-allow-methods': methods,
    'access-control-allow-headers': (Array.isArray(asked) ? asked.join(',') : asked) ?? '*',
    'access-control-max-age': '86400',
  });
  res.end();
}

export function sendJson(res: ServerResponse, protocol: Protocol, requestId: string, status: number, body: unknown, extra: Record<string, string> = {}): void {
  send(res, protocol, requestId, status, body === undefined ? '{}' : JSON.stringify(body), extra);
}

/** An operation's result: JSON, or for the query protocol `<OperationResponse>` XML. */
export function sendResult(res: ServerResponse, protocol: Protocol, requestId: string, operation: string, result: unknown, xmlns?: string): void {
  if (protocol !== 'query') return sendJson(res, protocol, requestId, 200, result);
  send(res, protocol, requestId, 200, queryResponseXml(operation, requestId, result as Record<string, XmlValue> | undefined, xmlns));
}

function send(res: ServerResponse, protocol: Protocol, requestId: string, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': CONTENT_TYPE[protocol],
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    ...CORS_HEADERS,
    ...extra,
  });
  res.end(text);
}

/** Anything thrown by a handler, as the protocol's error. */
export function toServiceError(err: unknown, protocol: Protocol): ServiceError {
  if (err instanceof ServiceError) return protocol === 'query' ? inQueryTerms(err) : err;
  if (err instanceof ValidationError) return new ServiceError(VALIDATION_CODE[protocol], err.message);
  return new ServiceError(INTERNAL_CODE[protocol], 'Internal failure in the local IoT Core; see its log.');
}

/** A shared-layer error under the code IAM itself would answer (InvalidClientTokenId, AccessDenied...). */
function inQueryTerms(err: ServiceError): ServiceError {
  const code = QUERY_CODES[err.code];
  if (code === undefined) return err;
  const renamed = new ServiceError(code, err.message, err.fields, err.status);
  return Object.assign(renamed, { closeConnection: (err as { closeConnection?: boolean }).closeConnection });
}

export function sendError(res: ServerResponse, protocol: Protocol, requestId: string, error: ServiceError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusFor(protocol, error);
  const headers: Record<string, string> = (error as { closeConnection?: boolean }).closeConnection ? { connection: 'close' } : {};
  if (protocol === 'query') return send(res, protocol, requestId, status, queryErrorXml(error.code, error.message, requestId, status), headers);
  headers['x-amzn-errortype'] = error.code;
  if (protocol === 'json-1.1') headers['x-amzn-errormessage'] = error.message.replace(/[^\x20-\x7e]/g, '?');
  const body = protocol === 'json-1.1' ? { __type: error.code, message: error.message, ...error.fields } : { message: error.message, ...error.fields };
  sendJson(res, protocol, requestId, status, body, headers);
}

/** An error on a socket the HTTP parser gave up on (bad request line, headers too large, timeout). */
export function rawErrorResponse(status: number, code: string, message: string): string {
  const body = JSON.stringify({ message });
  const reason = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' }[status] ?? 'Error';
  return (
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\nx-amzn-errortype: ${code}\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}
