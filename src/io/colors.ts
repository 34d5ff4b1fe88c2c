/** Colour policy and colour functions: when output may be coloured, and the functions that colour it. */
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

/** The colour functions output code uses; chalk when colour is on, identity when off (chalk is then never loaded). */
export type Paint = (text: string) => string;

export interface Colors {
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  cyan: Paint;
  magenta: Paint;
  gray: Paint;
  dim: Paint;
  bold: Paint;
}

const same: Paint = (text) => text;

export const NO_COLORS: Colors = { red: same, green: same, yellow: same, blue: same, cyan: same, magenta: same, gray: same, dim: same, bold: same };

export async function colorsFor(level: 0 | 1 | 2 | 3): Promise<Colors> {
  if (level === 0) return NO_COLORS;
  const { Chalk } = await import('chalk');
  return new Chalk({ level });
}
