import { collect, defineCommand } from '../define.js';
import { parseKeyValues, requireName } from '../../core/parse.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { POLICY_NAME } from '../../core/names.js';
import { isCognitoIdentityId } from '../../core/aws-ids.js';

export default defineCommand({
  declare: (cmd) =>
    cmd
      .requiredOption('--identity-id <id>', 'the Cognito identity id (region:uuid)')
      .option('--policy <name>', 'attach this existing IoT policy')
      .option('--template <name>', 'create the policy from a template if needed (default cognito-user)')
      .option('--param <key=value>', 'template parameter (repeatable)', collect)
      .option('--policy-name <name>', 'name of the policy made from the template (default iotctl-<template>[-<params>])'),
  examples: [
    'iotctl cognito register --identity-id <identity id>',
    'iotctl cognito register --identity-id <identity id> --template cognito-user --param prefix=rooms --json',
    'iotctl cognito register --identity-id <identity id> --policy iotctl-cognito-user',
  ],
  notes:
    'Signed-in (authenticated) Cognito identities can use AWS IoT only once an IoT policy is attached to their identity id;\nthis is the "register on first connect" step. It is idempotent. templates/lambda/on-demand-registration does it in AWS Lambda.',
  async run(ctx, _args, o) {
    if (!isCognitoIdentityId(o.identityId)) {
      throw usageError('INVALID_IDENTITY_ID', `"${o.identityId}" is not a Cognito identity id.`, 'it looks like us-east-1:01234567-89ab-cdef-0123-456789abcdef');
    }
    if (o.policy && (o.template || o.param)) throw usageError('POLICY_SOURCE', 'Pass --policy or --template/--param, not both.');
    let policy: { name: string; document?: string };
    if (o.policy) policy = { name: requireName(POLICY_NAME, o.policy) };
    else {
      const { loadTemplate, templatePolicy } = await import('../../policy-documents/templates.js');
      policy = templatePolicy(await loadTemplate(o.template ?? 'cognito-user'), parseKeyValues(o.param, '--param'), o.policyName);
    }
    const { registerIdentity } = await import('../../cognito/registration.js');
    const registered = await registerIdentity(await ctx.iot(), o.identityId, policy);
    ctx.out.result(registered, (r) =>
      r.alreadyRegistered ? `${r.identityId} already has ${r.policyName}; nothing changed` : `registered ${r.identityId}: attached ${r.policyName}${r.policyCreated ? ' (created)' : ''}`,
    );
    return ExitCode.OK;
  },
});

