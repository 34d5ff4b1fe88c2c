/** Command lines as a user would paste them into a POSIX shell. Pure. */

/** Single-quotes a word when the shell would otherwise read it differently (topics often hold #, $ or spaces). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `iotctl <words...>`, each word quoted as needed. */
export function iotctlCommand(words: readonly string[]): string {
  return ['iotctl', ...words.map(shellQuote)].join(' ');
}
