
/** commander reducer for repeatable options (`--attr a=1 --attr b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Removes the SDK's response metadata before printing a result. */
export function withoutMetadata<T extends object>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _ignored, ...rest } = output as T & { $metadata?: unknown };
  return rest;
}
