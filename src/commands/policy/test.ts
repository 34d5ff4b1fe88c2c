/**
 * `iotctl policy test`: decides one request against policies and explains it.
 * Three steps, kept apart so other policy sources (e.g. the policies attached
 * to a certificate or Cognito identity, fetched from the control plane) can
 * plug in: gather policies → prepare the request → evaluate and print.
 */
import type { Command } from '@commander-js/extra-typings';
import { collect, defineCommand, hiddenAlias, type CommandModule, type OptionsOf } from '../define.js';
import type { Context } from '../context.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { compileAll, compileWildcard, decide, parseArn, type PolicyInput, type PolicySides, type StatementTrace } from '../../core/policy/index.js';
import { hintForVariable, prepareRequest, type PreparedRequest } from '../../policy-check/request.js';
import { formatReport, type TestReport } from '../../policy-check/report.js';
import { readPolicyFile, requireValid } from '../../policy-documents/files.js';
import type { CertificateFacts } from '../../core/policy/certificate.js';
import { certificateFacts } from '../../identity/certificate-facts.js';

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

type TestOptions = OptionsOf<typeof declareRequest>;

/** The policies a request is decided against. */
export interface PolicySet {
  /** IoT policies (from files, or attached to the principal). */
  iot: PolicyInput[];
  /** An authenticated Cognito identity's role policies: then both sides must allow. */
  role?: PolicyInput[];
  /** The certificate's facts, when the policies came from a certificate principal. */
  certificate?: CertificateFacts;
  /** Region of the principal's ARN: requests are checked where the principal lives. */
  region?: string;
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
    run: (ctx, _args, o) => runTest(ctx, o, verb === 'explain' || ('explain' in o && o.explain === true)),
  });
}

/**
 * The policies attached to --principal in AWS IoT (default versions), plus any
 * --policy-file. Fills in what the principal implies: the certificate's facts,
 * its one attached thing (as --thing), or the Cognito identity (as --cognito-id).
 */
async function gatherFromPrincipal(ctx: Context, options: TestOptions): Promise<PolicySet> {
  const { parsePrincipal, fetchPrincipalPolicies } = await import('../../iot/principals.js');
  const principal = parsePrincipal(options.principal!, '--principal');
  const fetched = await fetchPrincipalPolicies(await ctx.iot(), principal);
  const fromFiles = options.policyFile?.length ? await gatherFromFiles(ctx, options) : { iot: [] };
  if (principal.kind === 'cognito') options.cognitoId ??= principal.identityId;
  if (principal.kind === 'certificate' && options.thing === undefined && fetched.things.length === 1) options.thing = fetched.things[0];
  const arn = parseArn(fetched.target);
  if (arn) options.accountId ??= arn.account;
  const certificate = fetched.certificatePem === undefined ? undefined : certificateFacts(fetched.certificatePem, fetched.target);
  return { region: arn?.region, ...fromFiles, iot: [...fetched.policies, ...fromFiles.iot], certificate };
}

/** Policies from --policy-file / --role-policy-file, validated. */
async function gatherFromFiles(ctx: Context, options: TestOptions): Promise<PolicySet> {
  const files = options.policyFile ?? [];
  if (files.length === 0) {
    throw usageError('POLICY_REQUIRED', 'No policy to test against.', 'pass --policy-file FILE (repeatable), or --principal to use the policies attached in AWS IoT');
  }
  const iot = await Promise.all(files.map(async (f) => requireValid(await readPolicyFile(f, ctx.streams.stdin, 'iot'), 'iot')));
  const set: PolicySet = { iot };
  if (options.rolePolicyFile?.length) {
    set.role = await Promise.all(options.rolePolicyFile.map(async (f) => requireValid(await readPolicyFile(f, ctx.streams.stdin, 'iam'), 'iam')));
  }
  return set;
}

/** Hints when a statement would match in another region or account than the request's. */
function scopeHints(trace: StatementTrace[], prepared: PreparedRequest): string[] {
  const hints = new Set<string>();
  const requested = parseArn(prepared.request.resource);
  if (!requested) return [];
  for (const t of trace) {
    if (!t.action.matched || t.resource.matched || t.resource.element !== 'Resource') continue;
    for (const p of t.resource.patterns) {
      const arn = parseArn(p.substituted);
      if (!arn || p.outcome === 'unresolved') continue;
      const concrete = (s: string) => s !== requested.region && s !== requested.account && !/[*?]/.test(s);
      const moved = `arn:${requested.partition}:${requested.service}:${arn.region}:${arn.account}:${requested.resource}`;
      if (!compileWildcard(p.substituted)(moved)) continue;
      if (arn.region !== requested.region && concrete(arn.region)) hints.add(`${t.policyName} Statement[${t.statementIndex}] names region ${arn.region}: pass --region ${arn.region}`);
      if (arn.account !== requested.account && concrete(arn.account)) hints.add(`${t.policyName} Statement[${t.statementIndex}] names account ${arn.account}: pass --account-id ${arn.account}`);
    }
  }
  return [...hints];
}

function principalSummary(prepared: PreparedRequest): TestReport['principal'] {
  const ctx = prepared.context;
  return {
    'client id': ctx.clientId ?? null,
    thing: ctx.thing?.name ?? null,
    'thing type': ctx.thing?.typeName ?? null,
    certificate: ctx.certificate?.id ?? null,
    'cognito id': ctx.cognito?.identityId ?? null,
    'source ip': ctx.sourceIp ?? null,
    region: prepared.region,
    account: prepared.account,
  };
}

/** The set as the policy engine's sides: the role files (an authenticated Cognito identity's role) and the IoT policies. */
function sidesOf(set: PolicySet, flags: TestOptions): PolicySides {
  const iot = { policies: compileAll(set.iot), owner: set.certificate || flags.cert ? ('certificate' as const) : set.role || flags.cognitoId ? ('identity' as const) : ('files' as const) };
  if (!set.role) return { iot };
  return { iot, role: { policies: compileAll(set.role), roleArn: (flags.rolePolicyFile ?? []).join(', '), known: true, authenticated: true } };
}

/** Decides the request against the set with the one policy engine (core/policy/decide.ts) and builds the report. */
function decideTest(set: PolicySet, prepared: PreparedRequest, withTrace: boolean, flags: TestOptions): TestReport {
  const d = decide(sidesOf(set, flags), prepared.request, prepared.context, { trace: true });
  return {
    decision: d.decision,
    allowed: d.allowed,
    action: d.action,
    resource: d.resource,
    reason: d.reason,
    deciding: d.deciding,
    missingVariables: d.missingVariables.map((name) => ({ name, hint: hintForVariable(name, flags) })),
    hints: d.allowed ? [] : scopeHints(d.trace ?? [], prepared),
    warnings: prepared.warnings,
    principal: principalSummary(prepared),
    policies: set.iot.map((p) => p.name),
    rolePolicies: set.role ? set.role.map((p) => p.name) : null,
    cognito: d.cognito ?? null,
    trace: withTrace ? (d.trace ?? []) : null,
  };
}

/** The region for request ARNs: --region, else the profile's, else us-east-1. */
async function requestRegion(ctx: Context): Promise<string> {
  if (ctx.globals.region) return ctx.globals.region;
  try {
    return (await ctx.settings()).get('region') ?? 'us-east-1';
  } catch {
    return 'us-east-1'; // an offline command should not fail on profile trouble
  }
}

/**
 * --device: the folder's certificate, thing and client id fill the flags not
 * given; its profile (the one it was provisioned with) and region are used
 * unless the command line names others.
 */
async function applyDevice(ctx: Context, options: TestOptions): Promise<void> {
  if (!options.device) return;
  const { readDeviceFolder } = await import('../../device/folder.js');
  const device = await readDeviceFolder(options.device);
  ctx.preferProfile(device.profile);
  ctx.globals.region ??= device.region;
  options.cert ??= device.certificatePath;
  options.thing ??= device.thingName;
  options.clientId ??= device.clientId;
  if (!options.policyFile?.length) options.principal ??= device.certificateArn ?? device.certificateId;
}

async function runTest(ctx: Context, options: TestOptions, withTrace: boolean): Promise<ExitCode> {
  await applyDevice(ctx, options);
  const set = await (options.principal ? gatherFromPrincipal : gatherFromFiles)(ctx, options);
  const prepared = await prepareRequest(options, ctx.globals.region ?? set.region ?? (await requestRegion(ctx)));
  if (set.certificate && !prepared.context.certificate) prepared.context.certificate = set.certificate;
  const report = decideTest(set, prepared, withTrace, options);
  ctx.out.result(report, formatReport);
  return report.allowed ? ExitCode.OK : ExitCode.DENIED;
}

export default policyTestCommand('test');
