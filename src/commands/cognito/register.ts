import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { collect } from '../../cli/options.js';
import { parseKeyValues, requireName } from '../../core/parse.js';
import { usageError } from '../../core/errors.js';
import { POLICY_NAME } from '../../core/names.js';
import { isCognitoIdentityId } from '../../core/aws-ids.js';

interface Options {
  identityId: string;
  policy?: string;
  template?: string;
  param?: string[];
  policyName?: string;
}

export function configure(cmd: Command): void {
  cmd
    .requiredOption('--identity-id <id>', 'the Cognito identity id (region:uuid)')
    .option('--policy <name>', 'attach this existing IoT policy')
    .option('--template <name>', 'create the policy from a template if needed (default cognito-user)')
    .option('--param <key=value>', 'template parameter (repeatable)', collect)
    .option('--policy-name <name>', 'name of the policy made from the template (default iotctl-<template>[-<params>])');
  examples(cmd, [
    'iotctl cognito register --identity-id <identity id>',
    'iotctl cognito register --identity-id <identity id> --template cognito-user --param prefix=rooms --json',
    'iotctl cognito register --identity-id <identity id> --policy iotctl-cognito-user',
  ]);
  cmd.addHelpText(
    'after',
    '\nSigned-in (authenticated) Cognito identities can use AWS IoT only once an IoT policy is attached to their identity id;\nthis is the "register on first connect" step. It is idempotent. templates/lambda/on-demand-registration does it in AWS Lambda.',
  );
}

export async function run(ctx: Context, _args: unknown[], options: Options): Promise<number> {
  if (!isCognitoIdentityId(options.identityId)) {
    throw usageError('INVALID_IDENTITY_ID', `"${options.identityId}" is not a Cognito identity id.`, 'it looks like us-east-1:01234567-89ab-cdef-0123-456789abcdef');
  }
  if (options.policy && (options.template || options.param)) throw usageError('POLICY_SOURCE', 'Pass --policy or --template/--param, not both.');
  const iot = await ctx.iot();
  const { ensurePolicy, defaultPolicyName } = await import('../../policy/ensure.js');
  let policyName: string;
  let created = false;
  if (options.policy) {
    policyName = requireName(POLICY_NAME, options.policy);
    await ensurePolicy(iot, policyName, undefined);
  } else {
    const { loadTemplate } = await import('../../policy/templates.js');
    const { renderTemplate } = await import('../../core/policy/template.js');
    const template = await loadTemplate(options.template ?? 'cognito-user');
    const rendered = renderTemplate(template, parseKeyValues(options.param, '--param'));
    policyName = requireName(POLICY_NAME, options.policyName ?? defaultPolicyName(template.name, template.parameters, rendered.parameters));
    created = (await ensurePolicy(iot, policyName, rendered.text)).created;
  }
  const { attachedPolicyNames } = await import('../../aws/principals.js');
  const already = (await attachedPolicyNames(iot, options.identityId)).includes(policyName);
  if (!already) {
    const { AttachPolicyCommand } = await import('@aws-sdk/client-iot');
    await iot.send(new AttachPolicyCommand({ policyName, target: options.identityId }));
  }
  ctx.out.result({ identityId: options.identityId, policyName, policyCreated: created, attached: !already, alreadyRegistered: already }, (r) =>
    r.alreadyRegistered ? `${r.identityId} already has ${r.policyName}; nothing changed` : `registered ${r.identityId}: attached ${r.policyName}${r.policyCreated ? ' (created)' : ''}`,
  );
  return 0;
}
