/** Matches REST-JSON requests (`PUT /things/{thingName}/principals`) to their operation. */
import { ValidationError } from '../errors.js';
import type { Handler } from './types.js';

export interface Route {
  method: string;
  /** e.g. `/things/{thingName}/principals`; a label matches one path segment. */
  path: string;
  operation: string;
  handler: Handler;
  /** Served without a signature (health). */
  unsigned?: boolean;
  /** The IAM action for temporary credentials, e.g. `iot:DescribeThing`. */
  action?: string;
}

interface CompiledRoute {
  route: Route;
  segments: { literal?: string; label?: string }[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  /** Keyed by method and segment count, so a lookup scans a handful of routes. */
  private readonly table = new Map<string, CompiledRoute[]>();

  constructor(routes: Route[]) {
    for (const route of routes) {
      const segments = route.path
        .split('/')
        .slice(1)
        .map((s) => (s.startsWith('{') ? { label: s.slice(1, -1) } : { literal: s }));
      const key = `${route.method} ${segments.length}`;
      const list = this.table.get(key) ?? [];
      list.push({ route, segments });
      this.table.set(key, list);
    }
  }

  /** The route for a raw (still percent-encoded) path, or undefined. */
  match(method: string, rawPath: string): RouteMatch | undefined {
    const parts = rawPath.split('/').slice(1);
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    const candidates = this.table.get(`${method} ${parts.length}`);
    if (!candidates) return undefined;
    outer: for (const { route, segments } of candidates) {
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i]!;
        const part = parts[i]!;
        if (seg.literal !== undefined) {
          if (seg.literal !== part) continue outer;
        } else {
          if (part === '') continue outer;
          try {
            params[seg.label!] = decodeURIComponent(part);
          } catch {
            throw new ValidationError(`The path segment '${part}' is not validly percent-encoded.`);
          }
        }
      }
      return { route, params };
    }
    return undefined;
  }
}
