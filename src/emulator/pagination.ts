/**
 * The one pagination helper. Tokens (IoT's `marker`/`nextMarker` and
 * `nextToken`, Cognito's `NextToken`) are opaque: base64url of the last key
 * returned and the next position, so a page stays right when items before it
 * are deleted between calls.
 */
import { ValidationError } from './errors.js';

export interface Page<T> {
  items: T[];
  /** Absent on the last page. */
  next?: string;
}

interface Cursor {
  k: string;
  i: number;
}

function decode(token: string, field: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (typeof cursor.k === 'string' && Number.isInteger(cursor.i) && cursor.i >= 0) return cursor;
  } catch {
    // fall through
  }
  throw new ValidationError(`The ${field} is not a valid pagination token.`);
}

/** One page of `items` (already in output order); `keyOf` gives each item's unique key. */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, token: string | undefined, limit: number, field: string): Page<T> {
  let start = 0;
  if (token !== undefined && token !== '') {
    const cursor = decode(token, field);
    if (cursor.i > 0 && cursor.i <= items.length && keyOf(items[cursor.i - 1]!) === cursor.k) start = cursor.i;
    else {
      const found = items.findIndex((item) => keyOf(item) === cursor.k);
      // The last item returned was deleted: resume where it used to be.
      start = found >= 0 ? found + 1 : Math.min(Math.max(cursor.i - 1, 0), items.length);
    }
  }
  const page = items.slice(start, start + limit);
  const end = start + page.length;
  if (end >= items.length || page.length === 0) return { items: page };
  const next = Buffer.from(JSON.stringify({ k: keyOf(page[page.length - 1]!), i: end } satisfies Cursor)).toString('base64url');
  return { items: page, next };
}
