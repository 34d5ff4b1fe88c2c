/**
 * How `sub` and `tail` print a received message:
 * - pretty: time, topic, payload (JSON pretty-printed and coloured), for a terminal;
 * - ndjson: one JSON object per line (the default when piped, and with --json);
 * - json: the same objects, indented;
 * - raw: the payload bytes and a newline (like mosquitto_sub);
 * - template: --template with {{topic}}, {{payload}}, {{payload.a.b}}, ...
 * JSON objects embed a JSON payload as JSON, text as a string, and binary as base64.
 */
import { usageError } from '../core/errors.js';
import type { Colors } from '../io/colors.js';
import type { IncomingMessage } from '../mqtt/types.js';
import { classifyPayload, sanitizeForTerminal, type Classified } from './payload.js';
import { parseTemplate, unescapeTemplate, type Placeholder } from './template.js';

export const OUTPUT_FORMATS = ['pretty', 'json', 'ndjson', 'raw', 'template'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface MessageRecord {
  timestamp: string;
  topic: string;
  qos: number;
  retain: boolean;
  /** JSON payloads as JSON, UTF-8 text as a string, anything else as base64. */
  payload: unknown;
  encoding: 'json' | 'utf8' | 'base64';
  contentType?: string;
  responseTopic?: string;
  /** base64 */
  correlationData?: string;
  messageExpirySeconds?: number;
  userProperties?: { name: string; value: string }[];
}

export function messageRecord(m: IncomingMessage, c: Classified = classifyPayload(m.payload)): MessageRecord {
  const record: MessageRecord = {
    timestamp: new Date(m.receivedAt).toISOString(),
    topic: m.topic,
    qos: m.qos,
    retain: m.retain,
    payload: c.kind === 'json' ? c.value : c.kind === 'utf8' ? c.text : m.payload.toString('base64'),
    encoding: c.kind === 'binary' ? 'base64' : c.kind,
  };
  const p = m.properties;
  if (p) {
    if (p.contentType !== undefined) record.contentType = p.contentType;
    if (p.responseTopic !== undefined) record.responseTopic = p.responseTopic;
    if (p.correlationData !== undefined) record.correlationData = Buffer.from(p.correlationData).toString('base64');
    if (p.messageExpirySeconds !== undefined) record.messageExpirySeconds = p.messageExpirySeconds;
    if (p.userProperties?.length) record.userProperties = p.userProperties;
  }
  return record;
}

// Consecutive messages usually share a topic and often a millisecond: keep the last encodings.
let lastTopic = '';
let lastTopicJson = '""';
let lastMs = -1;
let lastIso = '';

function topicJson(topic: string): string {
  if (topic !== lastTopic) {
    lastTopic = topic;
    lastTopicJson = JSON.stringify(topic);
  }
  return lastTopicJson;
}

function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/**
 * One line of NDJSON, written out by hand (the fields are known) instead of
 * through an object and JSON.stringify: sub's throughput is mostly this. A
 * JSON payload on one line is embedded as received, without a re-encode.
 */
export function renderNdjson(m: IncomingMessage): string {
  if (m.properties) return JSON.stringify(messageRecord(m)) + '\n';
  const c = classifyPayload(m.payload);
  let payload: string;
  if (c.kind === 'json') payload = /[\r\n\u2028\u2029]/.test(c.text) ? JSON.stringify(c.value) : c.text.trim();
  else payload = JSON.stringify(c.kind === 'utf8' ? c.text : m.payload.toString('base64'));
  const encoding = c.kind === 'binary' ? 'base64' : c.kind;
  return `{"timestamp":"${isoTime(m.receivedAt)}","topic":${topicJson(m.topic)},"qos":${m.qos},"retain":${m.retain},"payload":${payload},"encoding":"${encoding}"}\n`;
}

// ------------------------------------------------------------------- pretty

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** JSON with colours: keys blue, strings green, numbers yellow, true/false/null magenta. */
export function colorJson(value: unknown, c: Colors, indent: number, depth = 0): string {
  const nl = indent > 0 ? '\n' : '';
  const pad1 = ' '.repeat(indent * (depth + 1));
  const pad0 = ' '.repeat(indent * depth);
  if (value === null || typeof value === 'boolean') return c.magenta(String(value));
  if (typeof value === 'number') return c.yellow(String(value));
  if (typeof value === 'string') return c.green(sanitizeForTerminal(JSON.stringify(value)));
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => pad1 + colorJson(v, c, indent, depth + 1));
    return `[${nl}${items.join(indent > 0 ? `,${nl}` : ', ')}${nl}${pad0}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const items = entries.map(([k, v]) => `${pad1}${c.blue(sanitizeForTerminal(JSON.stringify(k)))}: ${colorJson(v, c, indent, depth + 1)}`);
    return `{${nl}${items.join(indent > 0 ? `,${nl}` : ', ')}${nl}${pad0}}`;
  }
  return String(value);
}

function indentLines(text: string): string {
  return text
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n');
}

function propertiesLine(m: IncomingMessage, c: Colors): string | undefined {
  const p = m.properties;
  if (!p) return undefined;
  const parts: string[] = [];
  if (p.contentType !== undefined) parts.push(`content-type: ${p.contentType}`);
  if (p.responseTopic !== undefined) parts.push(`response-topic: ${p.responseTopic}`);
  if (p.correlationData !== undefined) parts.push(`correlation-data: ${Buffer.from(p.correlationData).toString('base64')}`);
  if (p.messageExpirySeconds !== undefined) parts.push(`expires in ${p.messageExpirySeconds}s`);
  for (const u of p.userProperties ?? []) parts.push(`${u.name}=${u.value}`);
  return parts.length ? c.dim('  ' + sanitizeForTerminal(parts.join(' · '))) : undefined;
}

export function renderPretty(m: IncomingMessage, c: Colors, columns = 100): string {
  const time = clock(m.receivedAt);
  const topic = sanitizeForTerminal(m.topic);
  const flags = m.retain ? ' retained' : '';
  const head = `${c.dim(time)} ${c.cyan(topic)}${flags ? c.yellow(flags) : ''}`;
  const width = time.length + 1 + topic.length + flags.length + 1;
  const cl = classifyPayload(m.payload);
  let body: string;
  if (cl.kind === 'json') {
    const compact = JSON.stringify(cl.value);
    body = width + compact.length <= columns ? ' ' + colorJson(cl.value, c, 0) : '\n' + indentLines(colorJson(cl.value, c, 2));
  } else if (cl.kind === 'utf8') {
    const text = sanitizeForTerminal(cl.text);
    body = text.includes('\n') ? '\n' + indentLines(text) : ' ' + text;
  } else {
    body = ' ' + c.dim(`<${m.payload.length} bytes, base64>`) + ' ' + m.payload.toString('base64');
  }
  const props = propertiesLine(m, c);
  return head + body + '\n' + (props ? props + '\n' : '');
}

// ----------------------------------------------------------------- template

export const OUTPUT_VARIABLES = ['topic', 'payload', 'payload.<path>', 'json', 'base64', 'bytes', 'qos', 'retain', 'ts', 'iso', 'contentType', 'responseTopic', 'property.<name>'];

type Field = (m: IncomingMessage, c: Classified) => string;

function jsonPath(value: unknown, path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function asText(v: unknown): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function outputField(p: Placeholder): Field {
  if (p.args.length > 0) throw usageError('TEMPLATE_INVALID', `${p.raw}: output variables take no arguments.`);
  const [head, ...rest] = p.name.split('.');
  if (head === 'payload' && rest.length > 0) return (_, c) => (c.kind === 'json' ? asText(jsonPath(c.value, rest)) : '');
  if (head === 'property' && rest.length > 0) {
    const name = rest.join('.');
    return (m) => m.properties?.userProperties?.find((u) => u.name === name)?.value ?? '';
  }
  switch (p.name) {
    case 'topic':
      return (m) => m.topic;
    case 'payload':
      return (m, c) => (c.kind === 'binary' ? m.payload.toString('base64') : c.text);
    case 'json':
      return (m, c) => (c.kind === 'json' ? JSON.stringify(c.value) : JSON.stringify(c.kind === 'utf8' ? c.text : m.payload.toString('base64')));
    case 'base64':
      return (m) => m.payload.toString('base64');
    case 'bytes':
      return (m) => String(m.payload.length);
    case 'qos':
      return (m) => String(m.qos);
    case 'retain':
      return (m) => String(m.retain);
    case 'ts':
      return (m) => String(m.receivedAt);
    case 'iso':
      return (m) => new Date(m.receivedAt).toISOString();
    case 'contentType':
      return (m) => m.properties?.contentType ?? '';
    case 'responseTopic':
      return (m) => m.properties?.responseTopic ?? '';
  }
  throw usageError('TEMPLATE_UNKNOWN', `Unknown output template variable ${p.raw}.`, `known: ${OUTPUT_VARIABLES.map((v) => `{{${v}}}`).join(' ')}`);
}

export function compileOutputTemplate(text: string): (m: IncomingMessage) => string {
  const fields = parseTemplate(unescapeTemplate(text)).map((part): Field => (typeof part === 'string' ? () => part : outputField(part)));
  return (m) => {
    const c = classifyPayload(m.payload);
    let out = '';
    for (const f of fields) out += f(m, c);
    return out + '\n';
  };
}

// ------------------------------------------------------------------ choice

export interface RendererOptions {
  format: OutputFormat;
  template?: string;
  colors: Colors;
  columns?: number;
}

/** A rendered message: a string, bytes, or parts to write one after the other. */
export type Renderer = (m: IncomingMessage) => string | Uint8Array | (string | Uint8Array)[];

export function createRenderer(o: RendererOptions): Renderer {
  switch (o.format) {
    case 'pretty':
      return (m) => renderPretty(m, o.colors, o.columns);
    case 'ndjson':
      return renderNdjson;
    case 'json':
      return (m) => JSON.stringify(messageRecord(m), null, 2) + '\n';
    case 'raw':
      return (m) => [m.payload, NEWLINE];
    case 'template':
      if (o.template === undefined) throw usageError('TEMPLATE_REQUIRED', '--format template needs --template "<text>".', 'e.g. --template "{{topic}} {{payload}}"');
      return compileOutputTemplate(o.template);
  }
}

const NEWLINE = Buffer.from('\n');

/** The default: pretty for a person at a terminal, NDJSON for a pipe or a file (and with --json). */
export function chooseFormat(flag: string | undefined, opts: { json: boolean; tty: boolean; template?: string }): OutputFormat {
  if (flag !== undefined) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(flag)) throw usageError('INVALID_FORMAT', `--format must be one of ${OUTPUT_FORMATS.join(', ')}, not "${flag}".`);
    return flag as OutputFormat;
  }
  if (opts.template !== undefined) return 'template';
  if (opts.json) return 'ndjson';
  return opts.tty ? 'pretty' : 'ndjson';
}
