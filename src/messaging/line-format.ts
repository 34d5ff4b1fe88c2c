/**
 * What one input line of `pub --lines` means, so one process can feed many
 * topics:
 *   plain  the line is the payload, for the topic argument
 *   json   {"topic": "dt/pi01/temp", "payload": ...}: a string payload is sent
 *          as it is, anything else as its JSON text; without "topic", the
 *          topic argument
 *   tsv    topic<TAB>payload
 * Each topic is checked like the topic argument (no wildcards, AWS IoT's
 * limits). Pure.
 */
import { usageError } from '../core/errors.js';
import { checkTopicName } from '../core/topic.js';
import { MAX_PAYLOAD_BYTES } from './payload.js';

export const LINE_FORMATS = ['plain', 'json', 'tsv'] as const;
export type LineFormat = (typeof LINE_FORMATS)[number];

export function parseLineFormat(text: string): LineFormat {
  if ((LINE_FORMATS as readonly string[]).includes(text)) return text as LineFormat;
  throw usageError('INVALID_LINE_FORMAT', `--line-format must be one of ${LINE_FORMATS.join(', ')}, not "${text}".`);
}

export type DecodedLine = { topic: string; payload: Buffer; error?: undefined } | { error: string };

/** Topics already checked, so a stream of one topic checks it once. */
const CHECKED_LIMIT = 1000;

/** A decoder for lines of `format`; `defaultTopic` is the topic argument (required for plain). */
export function lineDecoder(format: LineFormat, defaultTopic: string | undefined): (line: Buffer) => DecodedLine {
  const checked = new Set<string>(defaultTopic !== undefined ? [defaultTopic] : []);
  const withTopic = (topic: string, payload: Buffer): DecodedLine => {
    if (!checked.has(topic)) {
      const problem = checkTopicName(topic);
      if (problem) return { error: problem.message };
      if (checked.size >= CHECKED_LIMIT) checked.clear();
      checked.add(topic);
    }
    if (payload.length > MAX_PAYLOAD_BYTES) return { error: `the payload is ${payload.length} bytes; AWS IoT accepts messages of at most ${MAX_PAYLOAD_BYTES} bytes (128 KB)` };
    return { topic, payload };
  };

  switch (format) {
    case 'plain':
      return (line) => ({ topic: defaultTopic!, payload: line });
    case 'tsv':
      return (line) => {
        const tab = line.indexOf(9);
        if (tab < 0) return { error: 'no tab: a tsv line is topic<TAB>payload' };
        return withTopic(line.toString('utf8', 0, tab), line.subarray(tab + 1));
      };
    case 'json':
      return (line) => {
        let value: unknown;
        try {
          value = JSON.parse(line.toString('utf8'));
        } catch (err) {
          return { error: `not JSON (${(err as Error).message})` };
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not a JSON object; a json line is {"topic": "...", "payload": ...}' };
        const { topic = defaultTopic, payload } = value as { topic?: unknown; payload?: unknown };
        if (typeof topic !== 'string') return { error: defaultTopic === undefined ? 'no "topic" (a string), and no topic argument' : '"topic" must be a string' };
        if (payload === undefined) return { error: 'no "payload"' };
        return withTopic(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));
      };
  }
}
