import path from 'node:path';
import type { Command } from 'commander';
import { examples } from '../cli/command.js';
import type { Context } from '../cli/context.js';
import { collect } from '../cli/options.js';
import { parseKeyValues, parsePositiveInt, requireName } from '../core/parse.js';
import { usageError, ExitCode } from '../core/errors.js';
import { POLICY_NAME, THING_NAME, THING_TYPE_NAME } from '../core/names.js';
import { readUserFile } from '../io/files.js';
import { formatPairs, formatTable } from '../io/table.js';
import { iotctlCommand } from '../core/shell.js';
import { describeSpec, keyFormatFrom, keySpecFrom, type KeyTypeOptions } from '../identity/keys.js';
import { addKeyTypeOptions } from './key-options.js';
import type { PolicyChoice, ProvisionEnvironment, ProvisionPlan, ProvisionResult } from '../identity/provision.js';
import { parseAttributes } from './thing/attributes.js';
import type { FleetEntry } from '../identity/fleet.js';

interface Options extends KeyTypeOptions {
  outDir?: string;
  template?: string;
  param?: string[];
  policy?: string;
  policyName?: string;
  attr?: string[];
  thingType?: string;
  rootCa?: 'rsa' | 'ec' | 'all';
  yes?: boolean;
  dryRun?: boolean;
  force?: boolean;
  count?: string;
  prefix?: string;
  fromFile?: string;
  concurrency?: string;
}

export function configure(cmd: Command): void {
  cmd
    .argument('[thing]', 'thing name (asked on a terminal when missing)')
    .option('--out-dir <dir>', 'device folder (default ./<thing>; with a fleet, the parent of one folder per thing)')
    .option('--template <name>', 'policy template to create the policy from (default device; see iotctl policy templates)')
    .option('--param <key=value>', 'template parameter (repeatable)', collect)
    .option('--policy <name>', 'attach this existing policy instead of creating one from a template')
    .option('--policy-name <name>', 'name of the policy created from the template (default iotctl-<template>[-<params>])')
    .option('--attr <key=value>', 'thing attribute (repeatable)', collect)
    .option('--thing-type <name>', 'thing type of the new thing');
  addKeyTypeOptions(cmd)
    .option('--root-ca <rsa|ec|all>', 'Amazon root CA to write (default rsa = Amazon Root CA 1; the local CA locally)', 'rsa')
    .option('--count <n>', 'fleet: provision n things named <prefix>01..n')
    .option('--prefix <prefix>', 'fleet: name prefix for --count (default device-)')
    .option('--from-file <csv>', 'fleet: one thing per row; a thingName column, other columns become attributes')
    .option('--concurrency <n>', 'fleet: things provisioned at once (default 8)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'print the plan; call nothing')
    .option('--force', 'replace files in an existing device folder');
  examples(cmd, [
    'iotctl provision pi01',
    'iotctl provision pi02 --template device --yes --json',
    'iotctl provision kitchen-light --template home --param homeId=123_aws_ave --attr room=kitchen',
    'iotctl provision --count 100 --prefix pi- --out-dir fleet --yes',
    "printf 'thingName,room\\nlamp-1,kitchen\\nlamp-2,hall\\n' > things.csv && iotctl provision --from-file things.csv --out-dir fleet --json",
  ]);
}

export async function run(ctx: Context, args: unknown[], options: Options): Promise<number> {
  const fleet = await fleetEntries(options);
  if (fleet && args[0]) throw usageError('FLEET_AND_NAME', 'Give a thing name, or --count / --from-file for a fleet, not both.');
  const spec = keySpecFrom(options);
  const keyFormat = keyFormatFrom(options, spec);
  if (options.rootCa && !['rsa', 'ec', 'all'].includes(options.rootCa)) throw usageError('INVALID_ROOT_CA', '--root-ca must be rsa, ec or all.');
  if (options.thingType) requireName(THING_TYPE_NAME, options.thingType);
  const attributes = parseAttributes(options.attr);

  const interactive = ctx.out.canPrompt && !options.yes && !ctx.out.json;
  const thingName = fleet ? undefined : await thingNameFrom(ctx, args[0] as string | undefined);
  const policy = await choosePolicy(ctx, options, interactive);
  const base = { keySpec: spec, keyFormat, thingType: options.thingType, policy, force: options.force === true };
  const plans: ProvisionPlan[] = (fleet ?? [{ thingName: thingName!, attributes: {} }]).map((entry) => ({
    ...base,
    thingName: entry.thingName,
    attributes: { ...entry.attributes, ...attributes },
    outDir: fleet ? path.resolve(options.outDir ?? '.', entry.thingName) : path.resolve(options.outDir ?? entry.thingName),
  }));
  for (const plan of plans) parseAttributes(Object.entries(plan.attributes ?? {}).map(([k, v]) => `${k}=${v}`));

  if (options.dryRun) {
    printPlan(ctx, plans, policy);
    return ExitCode.OK;
  }
  if (interactive) {
    printPlan(ctx, plans, policy, true);
    if (!(await ctx.out.confirm(`Provision ${plans.length === 1 ? plans[0]!.thingName : `${plans.length} things`}?`, '--yes'))) {
      ctx.out.stderr.write('Cancelled; nothing was created.\n');
      return ExitCode.FAILURE;
    }
  }
  const env = await environment(ctx, options);
  return fleet ? runFleet(ctx, plans, env, options) : runOne(ctx, plans[0]!, env);
}

async function thingNameFrom(ctx: Context, given: string | undefined): Promise<string> {
  const name =
    given ??
    (await ctx.out.prompt({
      flag: '<thing> (the first argument)',
      message: 'Thing name:',
      validate: (v) => (requireNameOk(v) ? true : 'letters, digits, : _ - (at most 128)'),
    }));
  return requireName(THING_NAME, name);
}

function requireNameOk(value: string): boolean {
  return /^[a-zA-Z0-9:_-]{1,128}$/.test(value);
}

async function fleetEntries(options: Options): Promise<FleetEntry[] | undefined> {
  if (options.count && options.fromFile) throw usageError('FLEET_SOURCE', 'Pass --count or --from-file, not both.');
  const { numberedThings, parseFleetCsv } = await import('../identity/fleet.js');
  if (options.count) {
    const prefix = options.prefix ?? 'device-';
    if (!/^[a-zA-Z0-9:_-]*$/.test(prefix)) throw usageError('INVALID_NAME', `The prefix "${prefix}" has characters thing names do not allow.`);
    return numberedThings(prefix, parsePositiveInt(options.count, '--count'));
  }
  if (options.prefix) throw usageError('PREFIX_WITHOUT_COUNT', '--prefix goes with --count.');
  if (options.fromFile) return parseFleetCsv(await readUserFile(options.fromFile, 'fleet CSV'), options.fromFile);
  return undefined;
}

/** The policy to attach: an existing one (--policy), or one rendered from a template (asking for missing parameters on a TTY). */
async function choosePolicy(ctx: Context, options: Options, interactive: boolean): Promise<PolicyChoice & { template?: string; parameters?: Record<string, string> }> {
  if (options.policy) {
    if (options.template || options.param) throw usageError('POLICY_SOURCE', '--policy reuses an existing policy; drop --template/--param, or drop --policy.');
    return { name: requireName(POLICY_NAME, options.policy) };
  }
  const { loadTemplate, loadTemplates } = await import('../policy/templates.js');
  const { renderTemplate } = await import('../core/policy/template.js');
  let templateName = options.template;
  if (!templateName && interactive) {
    const all = await loadTemplates();
    templateName = await ctx.out.choose('Policy template:', '--template <name>', all.map((t) => ({ name: t.name, value: t.name, description: t.description })), 'device');
  }
  const template = await loadTemplate(templateName ?? 'device');
  const params = parseKeyValues(options.param, '--param');
  if (interactive) {
    for (const p of template.parameters) {
      if (p.required && params[p.name] === undefined) params[p.name] = await ctx.out.prompt({ flag: `--param ${p.name}=<value>`, message: `${p.name} (${p.description}):` });
    }
  }
  const rendered = renderTemplate(template, params);
  const { defaultPolicyName } = await import('../policy/ensure.js');
  const name = options.policyName ?? defaultPolicyName(template.name, template.parameters, rendered.parameters);
  return { name: requireName(POLICY_NAME, name), document: rendered.text, template: template.name, parameters: rendered.parameters };
}

async function environment(ctx: Context, options: Options): Promise<ProvisionEnvironment> {
  const settings = await ctx.settings();
  const { pendingCertificates } = await import('../identity/pending.js');
  const { configDir } = await import('../config/paths.js');
  const iot = await ctx.iot();
  const { rootCaFor } = await import('../aws/root-ca.js');
  return {
    iot,
    region: await iot.config.region(),
    mqttPort: Number(settings.get('mqtt-port') ?? 8883),
    rootCa: async () => rootCaFor(settings, options.rootCa).pem,
    step: async (title, work) => work(),
    profile: settings.profile,
    command: (...words) => ctx.iotctl(...words),
    pending: (thingName) => pendingCertificates(configDir(ctx.env), `${settings.get('endpoint-url') ?? 'aws'}|${settings.get('region') ?? ''}|${thingName}`),
  };
}

async function runOne(ctx: Context, plan: ProvisionPlan, env: ProvisionEnvironment): Promise<number> {
  const { provision } = await import('../identity/provision.js');
  const result = await provision(plan, { ...env, step: (title, work) => ctx.out.step(title, work) });
  ctx.out.result(result, (r, c) =>
    [
      r.unchanged ? c.green(`${r.thingName} is already provisioned; nothing changed.`) : c.green(`Provisioned ${r.thingName}.`),
      formatPairs([
        ['thing', `${r.thingName}${r.created.thing ? ' (created)' : r.unchanged ? '' : ' (existing)'}`],
        ['certificate', `${r.certificateId} (ACTIVE)`],
        ['policy', `${r.policyName}${r.created.policy ? ' (created)' : ' (existing)'}`],
        ['endpoint', `${r.endpoint}:${r.port}`],
        ['client id', r.clientId],
        ['folder', `${r.outDir} (certificate.pem, private.key 0600, root-ca.pem, device.json)`],
        ['next', r.suggestedFilter ? iotctlCommand(['sub', r.suggestedFilter, '--device', path.relative(process.cwd(), r.outDir) || '.']) : undefined],
      ]),
    ].join('\n'),
  );
  if (!result.connectAllowed) ctx.out.warn(`the policy ${result.policyName} allows no client id iotctl could find for ${result.thingName}; connect with --client-id <an id the policy allows>.`);
  return ExitCode.OK;
}

interface FleetOutcome {
  thingName: string;
  ok: boolean;
  result?: ProvisionResult;
  error?: { code: string; message: string };
}

async function runFleet(ctx: Context, plans: ProvisionPlan[], env: ProvisionEnvironment, options: Options): Promise<number> {
  const { provision } = await import('../identity/provision.js');
  const { mapBounded } = await import('../identity/fleet.js');
  const { toIotctlError } = await import('../aws/errors.js');
  const concurrency = options.concurrency ? parsePositiveInt(options.concurrency, '--concurrency') : 8;
  // Created once up front, so parallel runs do not race to create the shared policy.
  const { ensurePolicy } = await import('../policy/ensure.js');
  const policy = await ensurePolicy(env.iot, plans[0]!.policy.name, plans[0]!.policy.document);
  const progress = await ctx.out.spinner(`provisioning ${plans.length} things`);
  let done = 0;
  let failed = 0;
  const outcomes = await mapBounded(plans, concurrency, async (plan): Promise<FleetOutcome> => {
    let outcome: FleetOutcome;
    try {
      outcome = { thingName: plan.thingName, ok: true, result: await provision({ ...plan, policy: { name: policy.name } }, env) };
    } catch (err) {
      const e = toIotctlError(err);
      failed++;
      outcome = { thingName: plan.thingName, ok: false, error: { code: e.code, message: e.message } };
    }
    done++;
    progress.update(`provisioned ${done}/${plans.length}${failed ? `, ${failed} failed` : ''}`);
    if (ctx.out.json) ctx.out.record(outcome, () => '');
    return outcome;
  });
  const summary = { total: plans.length, provisioned: plans.length - failed, failed, policy: policy.name, policyCreated: policy.created };
  if (failed) progress.fail(`${failed} of ${plans.length} things failed`);
  else progress.succeed(`provisioned ${plans.length} things`);
  if (ctx.out.json) ctx.out.record({ summary }, () => '');
  else {
    ctx.out.stdout.write(
      formatTable(
        ['THING', 'RESULT', 'DETAIL'],
        outcomes.map((o) => [o.thingName, o.ok ? (o.result?.unchanged ? 'unchanged' : 'ok') : 'FAILED', o.ok ? (o.result?.certificateId ?? '') : (o.error?.message ?? '')]),
      ) + `\n${summary.provisioned} provisioned, ${summary.failed} failed; policy ${summary.policy}${summary.policyCreated ? ' (created)' : ''}\n`,
    );
  }
  return failed ? ExitCode.FAILURE : ExitCode.OK;
}

function printPlan(ctx: Context, plans: ProvisionPlan[], policy: PolicyChoice & { template?: string; parameters?: Record<string, string> }, toStderr = false): void {
  const first = plans[0]!;
  const plan = {
    dryRun: true,
    things: plans.map((p) => ({ thingName: p.thingName, outDir: p.outDir, attributes: p.attributes })),
    key: { type: describeSpec(first.keySpec), format: first.keyFormat, madeLocally: true },
    policy: { name: policy.name, template: policy.template, parameters: policy.parameters, reuseExisting: policy.document === undefined },
    steps: [
      'make the private key and CSR on this machine',
      'register the certificate (CreateCertificateFromCsr), inactive until the end',
      'create the thing, unless it exists (CreateThing)',
      policy.document === undefined ? `reuse the policy ${policy.name}` : `create the policy ${policy.name} unless it exists with the same document (CreatePolicy)`,
      'attach the policy to the certificate (AttachPolicy)',
      'attach the certificate to the thing, exclusively (AttachThingPrincipal EXCLUSIVE_THING)',
      'discover the data endpoint (DescribeEndpoint iot:Data-ATS) and write the root CA',
      'write certificate.pem, private.key (0600), root-ca.pem, device.json',
      'activate the certificate (UpdateCertificate ACTIVE)',
    ],
  };
  const human = () =>
    [
      `Plan: provision ${plans.length === 1 ? first.thingName : `${plans.length} things (${first.thingName} .. ${plans[plans.length - 1]!.thingName})`}`,
      formatPairs([
        ['folder', plans.length === 1 ? first.outDir : path.dirname(first.outDir) + path.sep + '<thing>'],
        ['key', `${plan.key.type} (${plan.key.format}), made here; it never leaves this machine`],
        ['policy', `${policy.name}${policy.template ? ` from template ${policy.template}` : ' (existing)'}`],
        ['attributes', Object.entries(first.attributes ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || undefined],
      ]),
      ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`),
    ].join('\n');
  if (toStderr) ctx.out.stderr.write(human() + '\n');
  else ctx.out.result(plan, human);
}
