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
