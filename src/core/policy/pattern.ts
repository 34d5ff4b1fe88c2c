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

/** The pattern for one set of variable values: its matcher and its text after substitution. */
export interface Variant {
  match: Matcher;
  text: string;
}

const NONE: readonly string[] = Object.freeze([]);

/** Substituted variants kept per pattern: one per distinct set of variable values (i.e. per principal). */
const MAX_VARIANTS = 64;

export class CompiledPattern {
  readonly refs: readonly VariableRef[];
  private readonly parts: readonly TemplatePart[];
  private readonly fixed: Variant | undefined;
  private readonly fold: boolean;
  private variants: Map<string, Variant> | undefined;

  constructor(
    readonly source: string,
    private readonly options: PatternOptions,
  ) {
    this.parts = parseTemplate(source, options.substitute !== false);
    this.refs = this.parts.flatMap((p) => ('ref' in p ? [p.ref] : []));
    this.fold = options.ignoreCase === true;
    if (this.refs.length === 0) this.fixed = { match: compileGlob(this.pieces([])), text: source };
  }

  get hasVariables(): boolean {
    return this.refs.length > 0;
  }

  private pieces(values: readonly string[]): GlobPiece[] {
    const fold = (s: string) => (this.fold ? s.toLowerCase() : s);
    let next = 0;
    return this.parts.map((part): GlobPiece => {
      if ('ref' in part) return { literal: fold(values[next++]!) };
      if ('literal' in part) return { literal: fold(part.literal) };
      return this.options.wildcards ? { glob: fold(part.glob) } : { literal: fold(part.glob) };
    });
  }

  /** The text with values in place; variables without one stay as `${name}`, escapes as written. */
  private text(values: readonly (string | undefined)[]): string {
    let next = 0;
    return this.parts
      .map((part) => {
        if ('glob' in part) return part.glob;
        if ('literal' in part) return '${' + part.literal + '}';
        return values[next++] ?? '${' + part.ref.name + '}';
      })
      .join('');
  }

  /** Builds (or reuses) the variant for these values; null when a variable has no value. */
  private build(bag: VariableBag): Variant | null {
    const values: string[] = [];
    for (const ref of this.refs) {
      const v = bag.value(ref);
      if (v === undefined) return null;
      values.push(v);
    }
    const key = values.join('\u0000');
    let variant = this.variants?.get(key);
    if (variant === undefined) {
      variant = { match: compileGlob(this.pieces(values)), text: this.text(values) };
      this.variants ??= new Map();
      if (this.variants.size >= MAX_VARIANTS) this.variants.clear();
      this.variants.set(key, variant);
    }
    return variant;
  }

  /** The pattern for this bag's values (memoized in the bag), or null when a variable has no value. */
  resolve(bag: VariableBag): Variant | null {
    if (this.fixed) return this.fixed;
    let variant = bag.memo.get(this) as Variant | null | undefined;
    if (variant === undefined) {
      variant = this.build(bag);
      bag.remember(this, variant);
    }
    return variant;
  }

  /** MATCH, NO_MATCH, or UNRESOLVED when a variable has no value. */
  test(value: string, bag: VariableBag): Outcome {
    const variant = this.fixed ?? this.resolve(bag);
    if (variant === null) return UNRESOLVED;
    return variant.match(this.fold ? value.toLowerCase() : value) ? MATCH : NO_MATCH;
  }

  /** Names of the referenced variables that have no value (cheap when all have one: the usual case). */
  missing(bag: VariableBag): readonly string[] {
    if (this.resolve(bag) !== null) return NONE;
    return this.refs.filter((ref) => bag.value(ref) === undefined).map((ref) => ref.name);
  }

  /** The text after substitution, for explanations; variables without a value stay as `${name}`. */
  substituted(bag: VariableBag): string {
    return this.resolve(bag)?.text ?? this.text(this.refs.map((ref) => bag.value(ref)));
  }
}
