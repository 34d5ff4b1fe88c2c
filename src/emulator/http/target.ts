/** The request target (`/things/lamp-1?x=1`) as both HTTP listeners read it. */
import { parseQuery } from '../sigv4.js';

/** Its path and query, both still percent-encoded (as a signature covers them). */
export function splitTarget(url = '/'): { rawPath: string; rawQuery: string } {
  const q = url.indexOf('?');
  return q < 0 ? { rawPath: url, rawQuery: '' } : { rawPath: url.slice(0, q), rawQuery: url.slice(q + 1) };
}

/** The query decoded, the first value of each name; undefined when it is not validly percent-encoded. */
export function queryMap(rawQuery: string): Map<string, string> | undefined {
  const pairs = parseQuery(rawQuery);
  if (!pairs) return undefined;
  const query = new Map<string, string>();
  for (const [k, v] of pairs) if (!query.has(k)) query.set(k, v);
  return query;
}
