/**
 * Policy templates: a JSON document with `{{param}}` placeholders, declared
 * parameters, and the built-ins `{{region}}` and `{{account}}` (default `*`).
 * Policy variables (`${...}`) are left alone. The rendered policy must pass
 * the validator, the 2,048-character limit included.
 */
import { usageError } from '../errors.js';
import { parsePolicy, type ParsedPolicy } from './document.js';

export interface TemplateParameter {
  name: string;
  description: string;
  required?: boolean;
  /** A regular expression the whole value must match. */
  pattern?: string;
  default?: string;
}

export interface PolicyTemplate {
  name: string;
  description: string;
  parameters: TemplateParameter[];
  document: unknown;
}

export const BUILTIN_PARAMETERS: readonly TemplateParameter[] = [
  { name: 'region', description: 'AWS region in the ARNs (default: any)', pattern: '\\*|[a-z]{2}(-[a-z]+)+-\\d+', default: '*' },
  { name: 'account', description: 'AWS account id in the ARNs (default: any)', pattern: '\\*|\\d{12}', default: '*' },
];

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Every declared parameter, the built-ins included (a template may override a built-in's description). */
export function templateParameters(template: PolicyTemplate): TemplateParameter[] {
  const own = new Map(template.parameters.map((p) => [p.name, p]));
  return [...template.parameters, ...BUILTIN_PARAMETERS.filter((b) => !own.has(b.name))];
}

function placeholdersIn(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') for (const m of value.matchAll(PLACEHOLDER)) out.add(m[1]!);
  else if (Array.isArray(value)) value.forEach((v) => placeholdersIn(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      placeholdersIn(k, out);
      placeholdersIn(v, out);
    }
  }
}

/** Problems with a template definition itself (for the loader and tests); empty when it is sound. */
export function checkTemplate(raw: unknown): string[] {
  const problems: string[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return ['the template must be a JSON object'];
  const t = raw as Record<string, unknown>;
  if (typeof t.name !== 'string' || !NAME.test(t.name.replace(/-/g, '_'))) problems.push('"name" must be a word (letters, digits, - or _)');
  if (typeof t.description !== 'string' || t.description === '') problems.push('"description" must be a non-empty string');
  if (!Array.isArray(t.parameters)) problems.push('"parameters" must be an array');
  if (t.document === null || typeof t.document !== 'object') problems.push('"document" must be a policy object');
  if (problems.length > 0) return problems;
  const declared = new Set<string>();
  for (const [i, p] of (t.parameters as unknown[]).entries()) {
    const param = p as Partial<TemplateParameter> | null;
    if (!param || typeof param.name !== 'string' || !NAME.test(param.name)) {
      problems.push(`parameters[${i}].name must be a word`);
      continue;
    }
    if (typeof param.description !== 'string') problems.push(`parameters[${i}] (${param.name}) needs a description`);
    if (param.pattern !== undefined) {
      try {
        new RegExp(param.pattern);
      } catch {
        problems.push(`parameters[${i}] (${param.name}) has an invalid pattern`);
      }
    }
    if (param.required && param.default !== undefined) problems.push(`parameters[${i}] (${param.name}) is required, so it cannot have a default`);
    declared.add(param.name);
  }
  const used = new Set<string>();
  placeholdersIn(t.document, used);
  for (const name of used) {
    if (!declared.has(name) && !BUILTIN_PARAMETERS.some((b) => b.name === name)) problems.push(`the document uses {{${name}}} but no parameter "${name}" is declared`);
  }
  for (const name of declared) if (!used.has(name)) problems.push(`parameter "${name}" is declared but the document never uses {{${name}}}`);
  return problems;
}

function fill(value: unknown, values: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(PLACEHOLDER, (_, name: string) => values[name]!);
  if (Array.isArray(value)) return value.map((v) => fill(v, values));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [fill(k, values) as string, fill(v, values)]));
  }
  return value;
}

export interface RenderedPolicy {
  template: string;
  /** Every parameter's value, defaults included. */
  parameters: Record<string, string>;
  document: object;
  /** Pretty JSON, ready for CreatePolicy. */
  text: string;
  parsed: ParsedPolicy;
}

/** The parameter values after defaults, or a usage error naming the first bad or missing parameter. */
export function resolveParameters(template: PolicyTemplate, given: Record<string, string>): Record<string, string> {
  const params = templateParameters(template);
  const names = params.map((p) => p.name);
  for (const name of Object.keys(given)) {
    if (!names.includes(name)) {
      throw usageError('TEMPLATE_UNKNOWN_PARAMETER', `The template "${template.name}" has no parameter "${name}".`, `its parameters: ${names.join(', ')}`);
    }
  }
  const values: Record<string, string> = {};
  for (const p of params) {
    const value = (Object.hasOwn(given, p.name) ? given[p.name] : undefined) ?? p.default;
    if (value === undefined) {
      if (p.required) throw usageError('TEMPLATE_MISSING_PARAMETER', `The template "${template.name}" needs the parameter "${p.name}" (${p.description}).`, `pass --param ${p.name}=<value>`);
      continue;
    }
    if (p.pattern !== undefined && !new RegExp(`^(?:${p.pattern})$`).test(value)) {
      throw usageError('TEMPLATE_BAD_PARAMETER', `The value "${value}" for "${p.name}" does not match ${p.pattern}.`, `${p.name}: ${p.description}`);
    }
    values[p.name] = value;
  }
  return values;
}

/** Renders a template; throws a usage error for bad parameters or when the result is not a valid policy. */
export function renderTemplate(template: PolicyTemplate, given: Record<string, string> = {}): RenderedPolicy {
  const values = resolveParameters(template, given);
  const used = new Set<string>();
  placeholdersIn(template.document, used);
  for (const name of used) {
    if (values[name] === undefined) {
      throw usageError('TEMPLATE_MISSING_PARAMETER', `The template "${template.name}" needs a value for "${name}".`, `pass --param ${name}=<value>`);
    }
  }
  const document = fill(template.document, values) as object;
  const text = JSON.stringify(document, null, 2);
  const parsed = parsePolicy(text);
  if (parsed.errors.length > 0) {
    throw usageError('TEMPLATE_INVALID_RESULT', `The template "${template.name}" rendered an invalid policy: ${parsed.errors[0]!.message}`, 'check the parameter values', {
      problems: parsed.errors,
    });
  }
  return { template: template.name, parameters: values, document, text, parsed };
}
