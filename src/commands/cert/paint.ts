import type { Colors } from '../../io/colors.js';

/** A certificate status in the colour of what it means: green ACTIVE, red REVOKED, yellow anything else. */
export function paintStatus(status: string, c: Colors): string {
  if (status === 'ACTIVE') return c.green(status);
  if (status === 'REVOKED') return c.red(status);
  return c.yellow(status);
}
