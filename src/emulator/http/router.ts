/**
 * Matches REST-JSON requests (`PUT /things/{thingName}/principals`) to their
 * operation. One router serves both HTTP listeners: the control plane's routes
 * (Route, with a Handler) and the HTTPS data plane's (their own shape).
 */
import { ValidationError } from '../errors.js';
import type { Handler } from './types.js';

/** What the router needs of a route: its method and path template. */
export interface RouteShape {
  method: string;
  /**
   * e.g. `/things/{thingName}/principals`; a label matches one path segment.
   * A last label ending in `+` (`/topics/{topic+}`) takes the rest of the path, slashes included.
   */
  path: string;
}

export interface Route extends RouteShape {
  operation: string;
  handler: Handler;
  /** Served without a signature (health). */
  unsigned?: boolean;
  /** The IAM action for temporary credentials, e.g. `iot:DescribeThing`. */
  action?: string;
}

interface CompiledRoute<R> {
  route: R;
  segments: { literal?: string; label?: string }[];
  /** The label that takes the rest of the path (`{topic+}`), if any. */
  greedy?: string;
}

export interface RouteMatch<R = Route> {
  route: R;
  params: Record<string, string>;
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ValidationError(`The path segment '${part}' is not validly percent-encoded.`);
  }
}

export class Router<R extends RouteShape = Route> {
  /** Keyed by method and segment count, so a lookup scans a handful of routes. */
  private readonly table = new Map<string, CompiledRoute<R>[]>();
  /** Routes that end in a greedy label, by method. */
  private readonly greedy = new Map<string, CompiledRoute<R>[]>();

  constructor(routes: R[]) {
    for (const route of routes) {
      const segments = route.path
        .split('/')
        .slice(1)
        .map((s) => (s.startsWith('{') ? { label: s.slice(1, -1) } : { literal: s }));
      const last = segments[segments.length - 1];
      if (last?.label?.endsWith('+')) {
        segments.pop();
        const list = this.greedy.get(route.method) ?? [];
        list.push({ route, segments, greedy: last.label.slice(0, -1) });
        this.greedy.set(route.method, list);
        continue;
      }
      const key = `${route.method} ${segments.length}`;
      const list = this.table.get(key) ?? [];
      list.push({ route, segments });
      this.table.set(key, list);
    }
  }

  /** The route for a raw (still percent-encoded) path, or undefined. */
  match(method: string, rawPath: string): RouteMatch<R> | undefined {
    const parts = rawPath.split('/').slice(1);
    const exact = parts.length > 1 && parts[parts.length - 1] === '' ? parts.slice(0, -1) : parts;
    for (const candidate of this.table.get(`${method} ${exact.length}`) ?? []) {
      const params = this.matchSegments(candidate, exact);
      if (params) return { route: candidate.route, params };
    }
    for (const candidate of this.greedy.get(method) ?? []) {
      // The rest of the path, as sent: a trailing slash is part of it (`a/` is a topic of its own).
      if (parts.length <= candidate.segments.length) continue;
      const params = this.matchSegments(candidate, parts);
      const rest = parts.slice(candidate.segments.length).join('/');
      if (params && rest !== '') return { route: candidate.route, params: { ...params, [candidate.greedy!]: decodeSegment(rest) } };
    }
    return undefined;
  }

  /** The methods some route serves this path with (for 405 Method Not Allowed). */
  methodsFor(rawPath: string): string[] {
    const methods = new Set([...this.table.values(), ...this.greedy.values()].flat().map((c) => c.route.method));
    return [...methods].filter((m) => this.match(m, rawPath) !== undefined);
  }

  private matchSegments(candidate: CompiledRoute<R>, parts: string[]): Record<string, string> | undefined {
    const params: Record<string, string> = {};
    for (let i = 0; i < candidate.segments.length; i++) {
      const seg = candidate.segments[i]!;
      const part = parts[i]!;
      if (seg.literal !== undefined) {
        if (seg.literal !== part) return undefined;
      } else {
        if (part === '') return undefined;
        params[seg.label!] = decodeSegment(part);
      }
    }
    return params;
  }
}
