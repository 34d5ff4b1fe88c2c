/**
 * JSON values as the Device Shadow service stores them, and the few
 * operations its rules need. Objects are read through their own keys only and
 * written with defineProperty, so a key such as `__proto__` in a document is
 * just a key. Pure.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value under an own key, or undefined. */
export function own(object: JsonObject | undefined, key: string): Json | undefined {
  return object !== undefined && Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Sets an own, enumerable key (never the prototype). */
export function put<T>(object: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A copy of `object` without `key`. */
export function without<T>(object: Record<string, T>, key: string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(object)) if (k !== key) put(out, k, object[k]!);
  return out;
}

/** Structural equality of two JSON values (object key order does not matter; arrays are ordered). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Whether objects and arrays nest more than `max` levels (`{"a": 1}` is 1,
 * `{"a": {"b": [1]}}` is 3). It looks no deeper than `max + 1`, so a
 * document nested thousands of levels deep costs no deep recursion.
 */
export function nestedDeeperThan(value: Json, max: number): boolean {
  if (!Array.isArray(value) && !isObject(value)) return false;
  if (max <= 0) return true;
  const children = Array.isArray(value) ? value : Object.keys(value).map((k) => value[k]!);
  return children.some((child) => nestedDeeperThan(child, max - 1));
}

/** Whether an array somewhere in `value` holds a null. */
export function hasNullInArray(value: Json): boolean {
  if (Array.isArray(value)) return value.some((v) => v === null || hasNullInArray(v));
  if (isObject(value)) return Object.keys(value).some((k) => hasNullInArray(value[k]!));
  return false;
}

/** The UTF-8 size of a value written as compact JSON. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
