/**
 * The one response writer, for results and errors in both wire protocols:
 * REST-JSON (IoT: `x-amzn-ErrorType` + `{"message"}`) and JSON 1.1 (Cognito:
 * the same header plus `x-amzn-ErrorMessage` and `{"__type","message"}`).
 * SDK v3 reads the code from the header, the AWS CLI from the header or `__type`.
 */
import type { ServerResponse } from 'node:http';
import { INTERNAL_CODE, ServiceError, VALIDATION_CODE, ValidationError, statusFor, type Protocol } from '../errors.js';

const CONTENT_TYPE: Record<Protocol, string> = { 'rest-json': 'application/json', 'json-1.1': 'application/x-amz-json-1.1' };

/** Browsers (Cognito from a web page) need these to read our answers. */
export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date',
};

export function sendJson(res: ServerResponse, protocol: Protocol, requestId: string, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = body === undefined ? '{}' : JSON.stringify(body);
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
  if (err instanceof ServiceError) return err;
  if (err instanceof ValidationError) return new ServiceError(VALIDATION_CODE[protocol], err.message);
  return new ServiceError(INTERNAL_CODE[protocol], 'Internal failure in the local IoT Core; see its log.');
}

export function sendError(res: ServerResponse, protocol: Protocol, requestId: string, error: ServiceError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusFor(protocol, error);
  const headers: Record<string, string> = { 'x-amzn-errortype': error.code };
  if (protocol === 'json-1.1') headers['x-amzn-errormessage'] = error.message.replace(/[^\x20-\x7e]/g, '?');
  if ((error as { closeConnection?: boolean }).closeConnection) headers.connection = 'close';
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
