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
 * Compiles pieces into a matcher. Common shapes get a plain string comparison
 * (`exact`, `prefix*`, `*suffix`, `*infix*`, `*`); the rest a RegExp. `?` is one
 * code point (the `u` flag), so an emoji counts as one character.
 */
export function compileGlob(pieces: readonly GlobPiece[]): Matcher {
  const t = tokenize(pieces);
  const [a, b, c] = t;
  if (t.length === 0) return (value) => value === '';
  if (t.length === 1) {
    if (a === STAR) return ALWAYS;
    if (typeof a === 'string') return (value) => value === a;
  }
  if (t.length === 2) {
    if (typeof a === 'string' && b === STAR) return (value) => value.startsWith(a);
    if (a === STAR && typeof b === 'string') return (value) => value.endsWith(b);
  }
  if (t.length === 3 && a === STAR && typeof b === 'string' && c === STAR) return (value) => value.includes(b);
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
