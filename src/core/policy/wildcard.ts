/**
 * IAM wildcard matching, as AWS IoT applies it to policy resources and actions:
 * `*` is any run of characters (none, or many, `/` included) and `?` is exactly
 * one character. Nothing else is special: MQTT's `+` and `#` are literal.
 */

/** One piece of a pattern: text whose `*`/`?` are wildcards, or literal text (escapes, substituted values). */
export type GlobPiece = { glob: string } | { literal: string };

export type Matcher = (value: string) => boolean;

const STAR = 0;
const ONE = 1;
type Token = typeof STAR | typeof ONE | string;

const ALWAYS: Matcher = () => true;

/** True when the text has a `*` or `?`. */
export function hasWildcard(text: string): boolean {
  return text.includes('*') || text.includes('?');
}

function escapeRegExp(text: string): string {
  // Only syntax characters: the `u` flag rejects needless escapes such as `\-`.
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** Pieces to tokens: adjacent text merged, runs of `*` collapsed (they mean the same). */
function tokenize(pieces: readonly GlobPiece[]): Token[] {
  const tokens: Token[] = [];
  const pushText = (text: string) => {
    const last = tokens.length - 1;
    if (last >= 0 && typeof tokens[last] === 'string') tokens[last] += text;
    else tokens.push(text);
  };
  for (const piece of pieces) {
    if ('literal' in piece) {
      if (piece.literal.length > 0) pushText(piece.literal);
      continue;
    }
    for (const ch of piece.glob) {
      if (ch === '*') {
        if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
      } else if (ch === '?') tokens.push(ONE);
      else pushText(ch);
    }
  }
  return tokens;
}

/**
 * `*`-only patterns without a RegExp: the text between stars must appear in
 * order, the first piece at the start and the last at the end. Leftmost
 * matching of the middle pieces is enough when only `*` is involved.
 */
function starMatcher(pieces: string[]): Matcher {
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  const middle = pieces.slice(1, -1).filter((p) => p.length > 0);
  const min = pieces.reduce((n, p) => n + p.length, 0);
  const [fl, ll, m] = [first.length, last.length, middle.length];
  // Most policy resources share their first piece (`arn:aws:iot:`), so the
  // suffix and the middle pieces reject first; slice + === beats startsWith on V8.
  if (m === 1 && ll === 0) {
    // The commonest shape, `arn:aws:iot:*:<account>:topic/<prefix>/*`, without the loop.
    const piece = middle[0]!;
    return (value) => value.length >= min && value.indexOf(piece, fl) >= 0 && (fl === 0 || value.slice(0, fl) === first);
  }
  return (value) => {
    const len = value.length;
    if (len < min) return false;
    if (ll > 0 && value.slice(len - ll) !== last) return false;
    let pos = fl;
    const end = len - ll;
    for (let i = 0; i < m; i++) {
      const piece = middle[i]!;
      const at = value.indexOf(piece, pos);
      if (at < 0 || at + piece.length > end) return false;
      pos = at + piece.length;
    }
    return fl === 0 || value.slice(0, fl) === first;
  };
}

/**
 * Compiles pieces into a matcher: a string comparison for patterns without
 * wildcards, indexOf for `*`-only patterns (most policy resources), a RegExp
 * when `?` is involved (`?` is one code point: the `u` flag, so an emoji
 * counts as one character).
 */
export function compileGlob(pieces: readonly GlobPiece[]): Matcher {
  const t = tokenize(pieces);
  if (t.length === 1 && t[0] === STAR) return ALWAYS;
  if (!t.includes(ONE)) {
    // Text between stars; a pattern starting or ending with * gets an empty first/last piece.
    const texts: string[] = [''];
    for (const tok of t) {
      if (tok === STAR) texts.push('');
      else texts[texts.length - 1] += tok as string;
    }
    if (texts.length === 1) {
      const exact = texts[0]!;
      return (value) => value === exact;
    }
    return starMatcher(texts);
  }
  const source = t.map((tok) => (tok === STAR ? '[\\s\\S]*' : tok === ONE ? '.' : escapeRegExp(tok))).join('');
  const re = new RegExp(`^${source}$`, 'su');
  return (value) => re.test(value);
}

/** A matcher for one IAM wildcard pattern (no variables). */
export function compileWildcard(pattern: string): Matcher {
  return compileGlob([{ glob: pattern }]);
}

/** Whether value matches the IAM wildcard pattern (convenience; compile once on hot paths). */
export function wildcardMatches(pattern: string, value: string): boolean {
  return compileWildcard(pattern)(value);
}
