/**
 * Where JSON text first goes wrong. V8's JSON.parse messages carry a position
 * only for some errors, so the validator finds it with this small scanner.
 */

const WS = new Set([' ', '\t', '\n', '\r']);

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  skip(): void {
    while (this.pos < this.text.length && WS.has(this.text[this.pos]!)) this.pos++;
  }

  fail(): never {
    throw this.pos;
  }

  expect(ch: string): void {
    if (this.text[this.pos] !== ch) this.fail();
    this.pos++;
  }

  value(): void {
    this.skip();
    const ch = this.text[this.pos];
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"') return this.string();
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!literal) this.fail();
    this.pos += literal[0].length;
  }

  string(): void {
    this.expect('"');
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return;
      }
      if (ch === '\\') {
        const next = this.text[this.pos + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) this.fail();
          this.pos += 6;
          continue;
        }
        if (next === undefined || !'"\\/bfnrt'.includes(next)) this.fail();
        this.pos += 2;
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) this.fail();
      this.pos++;
    }
    this.fail();
  }

  object(): void {
    this.expect('{');
    this.skip();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skip();
      this.string();
      this.skip();
      this.expect(':');
      this.value();
      this.skip();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return;
      }
      this.expect(',');
    }
  }

  array(): void {
    this.expect('[');
    this.skip();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.value();
      this.skip();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return;
      }
      this.expect(',');
    }
  }
}

/** The offset of the first syntax error, or undefined when the text is valid JSON. */
export function jsonErrorOffset(text: string): number | undefined {
  const s = new Scanner(text);
  try {
    s.value();
    s.skip();
    if (s.pos < text.length) s.fail();
    return undefined;
  } catch (err) {
    if (typeof err === 'number') return err;
    throw err;
  }
}

/** "line 3, column 7" (both from 1) for an offset. */
export function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}
