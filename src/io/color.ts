import type { OutStream } from './streams.js';

/**
 * Colour is on only for a TTY, unless forced. Precedence: --no-color > NO_COLOR > FORCE_COLOR > TTY.
 * Returns a chalk level (0 = none).
 */
export function colorLevel(stream: OutStream, env: NodeJS.ProcessEnv, colorFlag: boolean): 0 | 1 | 2 | 3 {
  if (!colorFlag) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2') return 2;
    if (force === '3') return 3;
    return 1;
  }
  if (!stream.isTTY || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  return /256/.test(env.TERM ?? '') ? 2 : 1;
}
