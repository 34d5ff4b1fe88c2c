/**
 * Loads the policy templates shipped in templates/policies/ (package data, not
 * code). The path is relative to this module: src/policy/ and dist/policy/ are
 * both two levels below the package root.
 */
import { promises as fs } from 'node:fs';
import { IotctlError, ExitCode, usageError } from '../core/errors.js';
import { checkTemplate, renderTemplate, type PolicyTemplate } from '../core/policy/template.js';
import { POLICY_NAME } from '../core/names.js';
import { requireName } from '../core/parse.js';

export const TEMPLATES_DIR = new URL('../../templates/policies/', import.meta.url);

function brokenTemplate(file: string, problem: string): IotctlError {
  return new IotctlError('TEMPLATE_BROKEN', `The policy template ${file} is broken: ${problem}`, {
    exitCode: ExitCode.FAILURE,
    hint: 'reinstall iotctl, or fix the file if you edited it',
  });
}

async function loadFile(file: string, dir: URL): Promise<PolicyTemplate> {
  const text = await fs.readFile(new URL(file, dir), 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw brokenTemplate(file, (err as Error).message);
  }
  const problems = checkTemplate(raw);
  if (problems.length > 0) throw brokenTemplate(file, problems.join('; '));
  return raw as PolicyTemplate;
}

/** Every template, sorted by name. */
export async function loadTemplates(dir: URL = TEMPLATES_DIR): Promise<PolicyTemplate[]> {
  let files: string[];
  try {
    files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    throw new IotctlError('TEMPLATES_MISSING', `The policy templates directory ${dir.pathname} cannot be read.`, { cause: err, hint: 'reinstall iotctl' });
  }
  return Promise.all(files.map((f) => loadFile(f, dir)));
}

/** One template by name, or a not-found error listing the others. */
export async function loadTemplate(name: string, dir: URL = TEMPLATES_DIR): Promise<PolicyTemplate> {
  const all = await loadTemplates(dir);
  const found = all.find((t) => t.name === name);
  if (!found) {
    throw usageError('TEMPLATE_NOT_FOUND', `There is no policy template "${name}".`, `templates: ${all.map((t) => t.name).join(', ')} (iotctl policy templates)`);
  }
  return found;
}

/** iotctl-<template>, plus the values of parameters that differ from their defaults, so one policy serves every principal alike. */
export function defaultPolicyName(template: string, declared: { name: string; default?: string }[], values: Record<string, string>): string {
  const custom = declared.filter((p) => values[p.name] !== undefined && values[p.name] !== p.default).map((p) => values[p.name]!.replace(/[^\w+=,.@-]/g, '_'));
  return ['iotctl', template, ...custom].join('-').slice(0, 128);
}

export interface TemplatePolicy {
  name: string;
  document: string;
  template: string;
  parameters: Record<string, string>;
}

/** A template's policy, ready to create: the rendered document, named `name` (--policy-name) or by defaultPolicyName. */
export function templatePolicy(template: PolicyTemplate, params: Record<string, string>, name?: string): TemplatePolicy {
  const rendered = renderTemplate(template, params);
  return {
    name: requireName(POLICY_NAME, name ?? defaultPolicyName(template.name, template.parameters, rendered.parameters)),
    document: rendered.text,
    template: template.name,
    parameters: rendered.parameters,
  };
}
