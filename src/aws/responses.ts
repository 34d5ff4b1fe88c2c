/** What every AWS call's answer needs: pages followed to the end, metadata dropped, "not found" as undefined. */

/** Follows a paginated AWS list operation to the end (or to `max` items). */
export async function listAll<T>(page: (token: string | undefined) => Promise<{ items: T[]; next?: string }>, max?: number): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const { items, next } = await page(token);
    all.push(...items);
    token = next;
  } while (token && (max === undefined || all.length < max));
  return max === undefined ? all : all.slice(0, max);
}

/** Removes the SDK's response metadata before a result is printed. */
export function withoutMetadata<T extends object>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _ignored, ...rest } = output as T & { $metadata?: unknown };
  return rest;
}

/** Whether an AWS call failed because the resource does not exist. */
export function isNotFound(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'ResourceNotFoundException';
}

/** The answer of a call about a resource, or undefined when the resource does not exist. */
export async function ifExists<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
