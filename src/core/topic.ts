/**
 * MQTT topic names, topic filters and client ids under AWS IoT Core's rules.
 * Pure: used by the CLI (refuse bad input before connecting) and by the local
 * broker (enforce the same limits AWS enforces).
 */

export const TOPIC_MAX_BYTES = 256;
export const TOPIC_MAX_SLASHES = 7;
export const CLIENT_ID_MAX_BYTES = 128;
export const SHARE_NAME_MAX_CHARS = 128;

export type TopicProblemCode =
  | 'TOPIC_EMPTY'
  | 'TOPIC_TOO_LONG'
  | 'TOPIC_TOO_MANY_SLASHES'
  | 'TOPIC_WILDCARD'
  | 'TOPIC_INVALID_CHARACTER'
  | 'FILTER_HASH_POSITION'
  | 'FILTER_PLUS_POSITION'
  | 'FILTER_BAD_SHARE'
  | 'CLIENT_ID_EMPTY'
  | 'CLIENT_ID_TOO_LONG'
  | 'CLIENT_ID_INVALID_CHARACTER';

export interface TopicProblem {
  code: TopicProblemCode;
  message: string;
}

/** Length in bytes of the UTF-8 encoding; undefined when the string has a lone surrogate (not valid UTF-8). */
export function utf8Length(text: string): number | undefined {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return undefined;
      bytes += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return undefined;
    else bytes += 3;
  }
  return bytes;
}

const RULES_PREFIX = /^\$aws\/rules\/[^/]+\//;
const SHARE_PREFIX = '$share/';

/** Slashes that count toward AWS's limit of 7: the `$aws/rules/<rule>/` prefix of Basic Ingest topics is exempt. */
export function countedSlashes(topic: string): number {
  const exempt = RULES_PREFIX.exec(topic);
  const rest = exempt ? topic.slice(exempt[0].length) : topic;
  let count = 0;
  for (let i = 0; i < rest.length; i++) if (rest.charCodeAt(i) === 0x2f) count++;
  return count;
}

function checkCommon(text: string, what: 'topic' | 'topic filter'): TopicProblem | undefined {
  if (text.length === 0) return { code: 'TOPIC_EMPTY', message: `The ${what} is empty.` };
  const bytes = utf8Length(text);
  if (bytes === undefined || text.includes('\u0000')) {
    return { code: 'TOPIC_INVALID_CHARACTER', message: `The ${what} contains a character MQTT does not allow (NUL or invalid UTF-16).` };
  }
  if (bytes > TOPIC_MAX_BYTES) {
    return { code: 'TOPIC_TOO_LONG', message: `The ${what} is ${bytes} bytes; AWS IoT allows at most ${TOPIC_MAX_BYTES} bytes of UTF-8.` };
  }
  return undefined;
}

function checkSlashes(text: string, what: 'topic' | 'topic filter'): TopicProblem | undefined {
  const slashes = countedSlashes(text);
  if (slashes > TOPIC_MAX_SLASHES) {
    return {
      code: 'TOPIC_TOO_MANY_SLASHES',
      message: `The ${what} has ${slashes} forward slashes; AWS IoT allows at most ${TOPIC_MAX_SLASHES} (8 levels).`,
    };
  }
  return undefined;
}

/** A topic name as used in PUBLISH: no wildcards, AWS size and depth limits. */
export function checkTopicName(topic: string): TopicProblem | undefined {
  const common = checkCommon(topic, 'topic');
  if (common) return common;
  if (topic.includes('+') || topic.includes('#')) {
    return { code: 'TOPIC_WILDCARD', message: `The topic "${topic}" contains a wildcard (+ or #); wildcards are allowed only in subscriptions.` };
  }
  return checkSlashes(topic, 'topic');
}

/** A shared subscription `$share/<name>/<filter>`, split; undefined when the filter is not shared. */
export function parseSharedFilter(filter: string): { shareName: string; filter: string } | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const rest = filter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return { shareName: rest, filter: '' };
  return { shareName: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

/** A topic filter as used in SUBSCRIBE: `#` last and alone in its level, `+` alone in its level. */
export function checkTopicFilter(filter: string): TopicProblem | undefined {
  const common = checkCommon(filter, 'topic filter');
  if (common) return common;
  const shared = parseSharedFilter(filter);
  if (shared) {
    const { shareName } = shared;
    if (shareName.length === 0 || shareName.length > SHARE_NAME_MAX_CHARS || /[+#]/.test(shareName) || shared.filter.length === 0) {
      return {
        code: 'FILTER_BAD_SHARE',
        message: `The shared subscription "${filter}" must look like $share/<name>/<filter>, with a name of 1-${SHARE_NAME_MAX_CHARS} characters and no / + #.`,
      };
    }
    return checkTopicFilter(shared.filter);
  }
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return { code: 'FILTER_HASH_POSITION', message: `In the topic filter "${filter}", # must be the last level and alone in it.` };
    }
    if (level.includes('+') && level !== '+') {
      return { code: 'FILTER_PLUS_POSITION', message: `In the topic filter "${filter}", + must be alone in its level (e.g. a/+/b).` };
    }
  }
  return checkSlashes(filter, 'topic filter');
}

/** An MQTT client id under AWS IoT's rules: 1-128 bytes of UTF-8. */
export function checkClientId(clientId: string): TopicProblem | undefined {
  if (clientId.length === 0) return { code: 'CLIENT_ID_EMPTY', message: 'The client id is empty; AWS IoT needs a client id.' };
  const bytes = utf8Length(clientId);
  if (bytes === undefined || clientId.includes('\u0000')) {
    return { code: 'CLIENT_ID_INVALID_CHARACTER', message: 'The client id contains a character MQTT does not allow (NUL or invalid UTF-16).' };
  }
  if (bytes > CLIENT_ID_MAX_BYTES) {
    return { code: 'CLIENT_ID_TOO_LONG', message: `The client id is ${bytes} bytes; AWS IoT allows at most ${CLIENT_ID_MAX_BYTES}.` };
  }
  return undefined;
}

export interface MatchOptions {
  /**
   * MQTT says `a/#` also matches `a`; AWS IoT Core does not deliver `a` to `a/#`.
   * Default false (AWS behaviour).
   */
  hashMatchesParent?: boolean;
}

/**
 * Whether a topic name matches a (valid) topic filter. Shared filters match on
 * their inner filter. Wildcards in the first level never match `$` topics.
 */
export function topicMatches(filter: string, topic: string, options: MatchOptions = {}): boolean {
  const shared = parseSharedFilter(filter);
  const effective = shared ? shared.filter : filter;
  const f = effective.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') {
      if (i < t.length) return true;
      return options.hashMatchesParent === true && i === t.length && i > 0;
    }
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
