/**
 * The house rules of docs/architecture.md that the imports themselves can
 * show: arrows run down (no library imports cli/ or commands/; core/ imports
 * only core/), commands call AWS only through iot/ and cognito/, and no
 * module reaches itself again through what it loads when it runs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

interface Import {
  /** As written: './x.js', '@aws-sdk/client-iot', 'node:fs'. */
  specifier: string;
  /** src-relative path of a module of ours ('core/errors.ts'), else undefined. */
  target?: string;
  /** `import type` / `export type`: gone once compiled. */
  typeOnly: boolean;
}

const SRC = path.join(ROOT, 'src');

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [path.relative(SRC, full)] : [];
  });
}

/** Static imports and re-exports, `import('...')` and `import('...').Type` alike. */
function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    const target = specifier.startsWith('.') ? path.normalize(path.join(path.dirname(file), specifier)).replace(/\.js$/, '.ts') : undefined;
    found.push({ specifier, target, typeOnly });
  };
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\sfrom\s+'([^']+)'/gm)) add(m[3]!, Boolean(m[2]));
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm)) add(m[1]!, false);
  // import('x').T in a type position is erased; await import('x') is loaded when the code runs.
  for (const m of text.matchAll(/import\('([^']+)'\)(\.\w)?/g)) add(m[1]!, Boolean(m[2]));
  return found;
}

const files = sources();
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const layer = (file: string) => file.split('/')[0]!;

describe('the layers', () => {
  it('reads the whole tree (the check works)', () => {
    expect(files).toContain('cli/main.ts');
    expect(graph.get('cli/main.ts')!.some((i) => i.target === 'cli/command-table.ts')).toBe(true);
  });

  it('no module below the CLI imports cli/ or commands/, and commands/ never imports cli/', () => {
    const upward = files.flatMap((f) =>
      graph
        .get(f)!
        .filter((i) => i.target && ((layer(i.target) === 'cli' && layer(f) !== 'cli') || (layer(i.target) === 'commands' && !['cli', 'commands'].includes(layer(f)))))
        .map((i) => `${f} -> ${i.target}`),
    );
    expect(upward).toEqual([]);
  });

  it('core/ imports only core/ and Node built-ins: pure, shared by the CLI and the local IoT Core', () => {
    const outside = files
      .filter((f) => layer(f) === 'core')
      .flatMap((f) => graph.get(f)!.filter((i) => (i.target ? layer(i.target) !== 'core' : !i.specifier.startsWith('node:'))).map((i) => `${f} -> ${i.specifier}`));
    expect(outside).toEqual([]);
  });

  it('commands reach AWS only through iot/ and cognito/ (no command file loads the AWS SDK; its client types may be named)', () => {
    const direct = files
      .filter((f) => layer(f) === 'commands')
      .flatMap((f) => graph.get(f)!.filter((i) => i.specifier.startsWith('@aws-sdk/') && !i.typeOnly).map((i) => `${f} -> ${i.specifier}`));
    expect(direct).toEqual([]);
  });

  it('no module reaches itself again through the modules it loads (no import circle)', () => {
    const runtime = new Map(files.map((f) => [f, graph.get(f)!.filter((i) => i.target && !i.typeOnly && graph.has(i.target)).map((i) => i.target!)]));
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of runtime.get(file)!) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const f of files) visit(f, []);
    expect(circles).toEqual([]);
  });
});
