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
