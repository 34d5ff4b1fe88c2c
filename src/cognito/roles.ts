import type { AwsTarget } from '../aws/target.js';

export const ROLE_TEMPLATES_DIR = new URL('../../templates/roles/', import.meta.url);

/** Renders an IAM role policy from templates/roles/ (same format and checks as the IoT policy templates). */
export async function renderRolePolicy(template: string, params: Record<string, string>): Promise<string> {
  const { loadTemplate } = await import('../policy/templates.js');
  const { renderTemplate } = await import('../core/policy/template.js');
  return renderTemplate(await loadTemplate(template, ROLE_TEMPLATES_DIR), params).text;
}

/** Creates (or replaces) a role in the local IoT Core's small IAM; returns its ARN. */
export async function putLocalRole(target: AwsTarget, roleName: string, policyDocument: string): Promise<string> {
  const { callLocalApi } = await import('../aws/local-api.js');
  const result = await callLocalApi(target, 'PUT', `/_local/iam/roles/${encodeURIComponent(roleName)}`, { policyDocument });
  return String(result.roleArn);
}
