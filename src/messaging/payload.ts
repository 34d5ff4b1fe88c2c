/**
 * What a payload is, for display: JSON, UTF-8 text, or binary (shown as
 * base64 in JSON output). Classified once per received message.
 */
import { isUtf8 } from 'node:buffer';

/** AWS IoT rejects a PUBLISH whose payload is over 128 KB. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

export type Classified = { kind: 'json'; text: string; value: unknown } | { kind: 'utf8'; text: string } | { kind: 'binary' };

// JSON texts start with one of these (after whitespace); anything else is not worth a parse attempt.
const JSON_START = /^\s*[[{"\d-]|^\s*(true|false|null)\s*$/;
// Characters below 0x20 other than tab, newline and carriage return: such payloads are data, not text.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

const EMPTY: Classified = { kind: 'utf8', text: '' };
const BINARY: Classified = { kind: 'binary' };

export function classifyPayload(payload: Buffer): Classified {
  if (payload.length === 0) return EMPTY;
  if (!isUtf8(payload)) return BINARY;
  const text = payload.toString('utf8');
  if (CONTROL.test(text)) return BINARY;
  if (JSON_START.test(text)) {
    try {
      return { kind: 'json', text, value: JSON.parse(text) };
    } catch {
      // Text that merely starts like JSON.
    }
  }
  return { kind: 'utf8', text };
}

/** Control characters (other than tab and newline) shown as escapes, so a payload cannot drive the terminal. */
export function sanitizeForTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => (c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
