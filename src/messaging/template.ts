/**
 * `{{name}}` templates: payload templates for `pub` (simulators: `{{seq}}`,
 * `{{ts}}`, `{{uuid}}`...) and output templates for `sub --format template`.
 * A template is parsed and checked once; rendering is a loop over parts.
 */
import { usageError } from '../core/errors.js';

export interface Placeholder {
  name: string;
  args: string[];
  raw: string;
}
export type Part = string | Placeholder;

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w.-]*)((?:\s+[^\s{}]+)*)\s*\}\}/g;

export function hasPlaceholders(text: string): boolean {
  return text.includes('{{');
}

export function parseTemplate(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ name: m[1]!, args: m[2]!.trim() ? m[2]!.trim().split(/\s+/) : [], raw: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** `\n`, `\t`, `\\` as typed in a shell argument. */
export function unescapeTemplate(text: string): string {
  return text.replace(/\\([nt\\])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

// ------------------------------------------------------------- payloads (pub)

export interface PayloadContext {
  /** 1-based number of the message in this run. */
  seq: number;
  clientId: string;
  topic: string;
}

export const PAYLOAD_VARIABLES = ['seq', 'ts', 'unix', 'iso', 'uuid', 'clientId', 'topic', 'rand'] as const;

type PayloadFn = (c: PayloadContext, now: number) => string;

function randomFn(p: Placeholder): PayloadFn {
  const [lo = '0', hi = '1', extra] = p.args;
  const a = Number(lo);
  const b = Number(hi);
  if (extra !== undefined || !Number.isFinite(a) || !Number.isFinite(b) || b < a) {
    throw usageError('TEMPLATE_INVALID', `${p.raw}: rand takes two numbers, low and high (e.g. {{rand 20 30}}).`);
  }
  const integers = Number.isInteger(a) && Number.isInteger(b) && !lo.includes('.') && !hi.includes('.');
  return integers ? () => String(a + Math.floor(Math.random() * (b - a + 1))) : () => (a + Math.random() * (b - a)).toFixed(2);
}

function payloadFn(p: Placeholder): PayloadFn {
  const noArgs = (fn: PayloadFn): PayloadFn => {
    if (p.args.length > 0) throw usageError('TEMPLATE_INVALID', `${p.raw}: {{${p.name}}} takes no arguments.`);
    return fn;
  };
  switch (p.name) {
    case 'seq':
      return noArgs((c) => String(c.seq));
    case 'ts':
      return noArgs((_, now) => String(now));
    case 'unix':
      return noArgs((_, now) => String(Math.floor(now / 1000)));
    case 'iso':
      return noArgs((_, now) => new Date(now).toISOString());
    case 'uuid':
      // Web Crypto's, global in Node 20: importing node:crypto costs a few ms of every start.
      return noArgs(() => globalThis.crypto.randomUUID());
    case 'clientId':
      return noArgs((c) => c.clientId);
    case 'topic':
      return noArgs((c) => c.topic);
    case 'rand':
      return randomFn(p);
  }
  throw usageError('TEMPLATE_UNKNOWN', `Unknown template variable ${p.raw} in the message.`, `known: ${PAYLOAD_VARIABLES.map((v) => `{{${v}}}`).join(' ')}; pass --no-template to send the text as it is`);
}

export type PayloadTemplate = (c: PayloadContext) => string;

/** A renderer for a message with placeholders; throws a usage error for unknown ones. */
export function compilePayloadTemplate(text: string): PayloadTemplate {
  const fns = parseTemplate(text).map((part): PayloadFn => (typeof part === 'string' ? () => part : payloadFn(part)));
  return (c) => {
    const now = Date.now();
    let out = '';
    for (const fn of fns) out += fn(c, now);
    return out;
  };
}
