/**
 * A policy string that may hold variables, compiled once: a Resource pattern,
 * a StringLike value or a StringEquals value. Substituted values are literal
 * (their `*` and `?` are not wildcards). A variable without a value makes the
 * pattern "unresolved": it matches nothing, and the caller decides what that
 * means for the statement.
 */
import { compileGlob, type GlobPiece, type Matcher } from './wildcard.js';
import { parseTemplate, type TemplatePart, type VariableBag, type VariableRef } from './variables.js';

export const MATCH = 1;
export const NO_MATCH = 0;
export const UNRESOLVED = -1;
export type Outcome = typeof MATCH | typeof NO_MATCH | typeof UNRESOLVED;

export interface PatternOptions {
  /** `*` and `?` in the policy text are wildcards (Resource, StringLike, ArnLike). */
  wildcards: boolean;
  /** Compare case-insensitively (StringEqualsIgnoreCase, Bool). */
  ignoreCase?: boolean;
  /** Resolve `${...}` (false for Version 2008-10-17 policies). */
  substitute?: boolean;
}

/** Substituted matchers kept per pattern: one per distinct set of variable values (i.e. per principal). */
const MAX_VARIANTS = 64;

export class CompiledPattern {
  readonly refs: readonly VariableRef[];
  private readonly parts: readonly TemplatePart[];
  private readonly fixed: Matcher | undefined;
  private variants: Map<string, Matcher> | undefined;

  constructor(
    readonly source: string,
    private readonly options: PatternOptions,
  ) {
    this.parts = parseTemplate(source, options.substitute !== false);
    this.refs = this.parts.flatMap((p) => ('ref' in p ? [p.ref] : []));
    if (this.refs.length === 0) this.fixed = compileGlob(this.pieces([]));
  }

  get hasVariables(): boolean {
    return this.refs.length > 0;
  }

  private pieces(values: readonly string[]): GlobPiece[] {
    const lower = this.options.ignoreCase === true;
    const fold = (s: string) => (lower ? s.toLowerCase() : s);
    let next = 0;
    return this.parts.map((part): GlobPiece => {
      if ('ref' in part) return { literal: fold(values[next++]!) };
      if ('literal' in part) return { literal: fold(part.literal) };
      return this.options.wildcards ? { glob: fold(part.glob) } : { literal: fold(part.glob) };
    });
  }

  /** The values of the references in order, or undefined when one has no value. */
  values(bag: VariableBag): string[] | undefined {
    const values: string[] = [];
    for (const ref of this.refs) {
      const v = bag.value(ref);
      if (v === undefined) return undefined;
      values.push(v);
    }
    return values;
  }

  /** MATCH, NO_MATCH, or UNRESOLVED when a variable has no value. */
  test(value: string, bag: VariableBag): Outcome {
    const input = this.options.ignoreCase === true ? value.toLowerCase() : value;
    if (this.fixed) return this.fixed(input) ? MATCH : NO_MATCH;
    let key = '';
    for (const ref of this.refs) {
      const v = bag.value(ref);
      if (v === undefined) return UNRESOLVED;
      key = key.length === 0 ? v : key + '\u0000' + v;
    }
    let matcher = this.variants?.get(key);
    if (matcher === undefined) {
      matcher = compileGlob(this.pieces(this.values(bag)!));
      this.variants ??= new Map();
      if (this.variants.size >= MAX_VARIANTS) this.variants.clear();
      this.variants.set(key, matcher);
    }
    return matcher(input) ? MATCH : NO_MATCH;
  }

  /** Names of the referenced variables that have no value. */
  missing(bag: VariableBag): string[] {
    return this.refs.filter((ref) => bag.value(ref) === undefined).map((ref) => ref.name);
  }

  /** The text after substitution, for explanations; variables without a value stay as `${name}`. */
  substituted(bag: VariableBag): string {
    if (this.refs.length === 0) return this.source;
    return this.parts
      .map((part) => {
        if ('glob' in part) return part.glob;
        if ('literal' in part) return '${' + part.literal + '}';
        return bag.value(part.ref) ?? '${' + part.ref.name + '}';
      })
      .join('');
  }
}
