/** commander reducer for repeatable options (`--attr a=1 --attr b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
