/**
 * `iotctl policy test` and `policy explain`: one set of options over
 * runPolicyTest (policy-check/check.ts), which gathers the policies, prepares
 * the request, decides it with the one policy engine and prints the report.
 */
import type { Command } from '@commander-js/extra-typings';
import { collect, defineCommand, hiddenAlias, type CommandModule } from '../define.js';
import type { Context } from '../context.js';
import { runPolicyTest, type PolicyTestDeps } from '../../policy-check/check.js';

/** The options of `policy test` and `policy explain` (test adds --explain). */
function declareRequest(cmd: Command) {
  return hiddenAlias(
    cmd
      .requiredOption('-a, --action <action>', 'iot:Connect, iot:Publish, iot:Subscribe, iot:Receive, iot:RetainPublish, ...')
      .requiredOption('-r, --resource <name|arn>', 'a topic, topic filter or client id (made into the ARN the action needs), or a full ARN')
      .option('--principal <principal>', 'a certificate (ARN or id) or Cognito identity id: test against the policies attached to it in AWS IoT')
      .option('--device <folder>', "a device folder (iotctl provision): its certificate, thing and client id; its attached policies unless --policy-file")
      .option('-f, --policy-file <file>', 'an IoT policy document (repeatable; - reads stdin); with --principal, as if also attached', collect)
      .option('--role-policy-file <file>', "an authenticated Cognito identity's IAM role policy (repeatable): then both the role and the IoT policies must allow", collect)
      .option('--client-id <id>', 'MQTT client id (default: the thing name; for iot:Connect, the resource)')
      .option('--thing <name>', 'thing attached to the principal (sets iot:Connection.Thing.*; IsAttached=true)')
      .option('--thing-type <type>', "the thing's type")
      .option('--attr <name=value>', 'a thing attribute (repeatable)', collect)
      .option('--cert <file>', 'the PEM client certificate (sets iot:Certificate.* and iot:CertificateId)')
      .option('--cognito-id <id>', 'Cognito identity id (sets cognito-identity.amazonaws.com:sub)')
      .option('--source-ip <ip>', 'client IP address (aws:SourceIp)')
      .option('--var <name=value>', 'any other variable or condition key (repeatable; repeat a name for a list)', collect)
      .option('--account-id <id>', 'account id in the request ARN (default 123456789012); the region comes from --region'),
    '--account <id>',
    'accountId',
  );
}

/** `policy test` and `policy explain`: one set of options; explain always traces every statement. */
export function policyTestCommand(verb: 'test' | 'explain'): CommandModule {
  return defineCommand({
    declare: (cmd) => (verb === 'test' ? declareRequest(cmd).option('--explain', 'add a statement-by-statement trace (same as iotctl policy explain)') : declareRequest(cmd)),
    examples: [
      `iotctl policy render home --param homeId=123_aws_ave --out home.json`,
      `iotctl policy ${verb} -f home.json --action iot:Publish --resource home/123_aws_ave/door_1/open --client-id 123_aws_ave-alice`,
      `iotctl policy render device | iotctl policy ${verb} -f - --thing lamp-1 --action iot:Subscribe --resource 'things/lamp-1/#'`,
      `iotctl policy render cognito-user | iotctl policy ${verb} -f - --cognito-id us-east-1:0123abcd-0000-4000-8000-000000000000 --action iot:Publish --resource users/us-east-1:0123abcd-0000-4000-8000-000000000000/hi`,
      `iotctl policy render device | iotctl policy ${verb} -f home.json -f - --cert pi01/certificate.pem --action iot:Connect --resource 123_aws_ave-bob --json`,
      `iotctl --profile local policy ${verb} --principal <cert ARN> --action iot:Publish --resource things/pi01/temp`,
      `iotctl --profile local policy ${verb} --device ./pi01 --action iot:Subscribe --resource 'things/pi02/#'   # exit 3: DENIED (pi01 may not read pi02's topics)`,
    ],
    notes: 'Exit codes: 0 allowed, 3 denied, 2 usage error or invalid policy.',
    run: (ctx, _args, o) => runPolicyTest({ ...o, explain: verb === 'explain' || ('explain' in o && o.explain === true) }, policyTestDeps(ctx)),
  });
}

/** What the check takes from the command line's context. A device folder's profile and region apply unless the command line names others. */
function policyTestDeps(ctx: Context): PolicyTestDeps {
  return {
    out: ctx.out,
    stdin: ctx.streams.stdin,
    iot: () => ctx.iot(),
    useDevice(device) {
      ctx.preferProfile(device.profile);
      ctx.globals.region ??= device.region;
    },
    region: () => ctx.globals.region,
    profileRegion: async () => (await ctx.settings()).get('region'),
  };
}

export default policyTestCommand('test');
