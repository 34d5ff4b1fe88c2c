import path from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { collect, defineCommand, type OptionsOf } from './define.js';
import type { Context } from './context.js';
import { parseKeyValues, parsePositiveInt, requireName } from '../core/parse.js';
import { usageError, ExitCode } from '../core/errors.js';
import { POLICY_NAME, THING_NAME, THING_TYPE_NAME } from '../core/names.js';
import { iotctlCommand } from '../core/shell.js';
import { readUserFile } from '../io/files.js';
import { formatPairs, formatTable } from '../io/table.js';
import { describeSpec, keyFormatFrom, keySpecFrom } from '../identity/keys.js';
import type { FleetEntry } from '../identity/fleet.js';
import type { PolicyChoice, ProvisionEnvironment, ProvisionPlan } from '../identity/provision.js';
import { parseRootChoice } from '../aws/root-ca.js';
import { addKeyTypeOptions } from './key-options.js';
import { parseAttributes } from './thing/attributes.js';

const declare = (cmd: Command) =>
  addKeyTypeOptions(
    cmd
      .argument('[thing]', 'thing name (asked on a terminal when missing)')
      .option('--out-dir <dir>', 'device folder (default ./<thing>; with a fleet, the parent of one folder per thing)')
      .option('--template <name>', 'policy template to create the policy from (default device; see iotctl policy templates)')
      .option('--param <key=value>', 'template parameter (repeatable)', collect)
      .option('--policy <name>', 'attach this existing policy instead of creating one from a template')
      .option('--policy-name <name>', 'name of the policy created from the template (default iotctl-<template>[-<params>])')
      .option('--attr <key=value>', 'thing attribute (repeatable)', collect)
      .option('--thing-type <name>', 'thing type of the new thing'),
  )
    .option('--root-ca <rsa|ec|all>', 'Amazon root CA to write (default rsa = Amazon Root CA 1; the local CA locally)', 'rsa')
    .option('--count <n>', 'fleet: provision n things named <prefix>01..n')
    .option('--prefix <prefix>', 'fleet: name prefix for --count (default device-)')
    .option('--from-file <csv>', 'fleet: one thing per row; a thingName column, other columns become attributes')
    .option('--concurrency <n>', 'fleet: things provisioned at once (default 8)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'print the plan; call nothing')
    .option('--force', 'replace files in an existing device folder');

type ProvisionOptions = OptionsOf<typeof declare>;

/** The policy to attach, and where it came from (for the plan). */
type ChosenPolicy = PolicyChoice & { template?: string; parameters?: Record<string, string> };

export default defineCommand({
  declare,
  examples: [
    'iotctl provision pi01',
    'iotctl provision pi02 --template device --yes --json',
    'iotctl provision kitchen-light --template home --param homeId=123_aws_ave --attr room=kitchen',
    'iotctl provision --count 100 --prefix pi- --out-dir fleet --yes',
    "printf 'thingName,room\\nlamp-1,kitchen\\nlamp-2,hall\\n' > things.csv && iotctl provision --from-file things.csv --out-dir fleet --json",
  ],
  async run(ctx, [thing], o) {
    const fleet = await fleetEntries(o);
    if (fleet && thing) throw usageError('FLEET_AND_NAME', 'Give a thing name, or --count / --from-file for a fleet, not both.');
    const keySpec = keySpecFrom(o);
    const keyFormat = keyFormatFrom(o, keySpec);
    const rootCa = parseRootChoice(o.rootCa);
    const thingType = o.thingType === undefined ? undefined : requireName(THING_TYPE_NAME, o.thingType);
    const attributes = parseAttributes(o.attr);
    const concurrency = fleet && o.concurrency ? parsePositiveInt(o.concurrency, '--concurrency') : 8;

    const interactive = ctx.out.canPrompt && !o.yes && !ctx.out.json;
    const thingName = fleet ? undefined : await thingNameFrom(ctx, thing);
    const policy = await choosePolicy(ctx, o, interactive);
    const plans: ProvisionPlan[] = (fleet ?? [{ thingName: thingName!, attributes: {} }]).map((entry) => ({
      keySpec,
      keyFormat,
      thingType,
      policy,
      force: o.force === true,
      thingName: entry.thingName,
      attributes: { ...entry.attributes, ...attributes },
      outDir: fleet ? path.resolve(o.outDir ?? '.', entry.thingName) : path.resolve(o.outDir ?? entry.thingName),
    }));
    for (const plan of plans) parseAttributes(Object.entries(plan.attributes ?? {}).map(([k, v]) => `${k}=${v}`));

    if (o.dryRun) {
      ctx.out.result(planOf(plans, policy), (p) => planText(p, plans));
      return ExitCode.OK;
    }
    if (interactive) {
      const question = `Provision ${plans.length === 1 ? plans[0]!.thingName : `${plans.length} things`}?`;
      if (!(await ctx.out.confirm(question, '--yes', planText(planOf(plans, policy), plans)))) {
        ctx.out.info('Cancelled; nothing was created.');
        return ExitCode.FAILURE;
      }
    }
    const env = await environment(ctx, rootCa);
    return fleet ? provisionMany(ctx, plans, env, concurrency) : provisionOne(ctx, plans[0]!, env);
  },
});

async function thingNameFrom(ctx: Context, given: string | undefined): Promise<string> {
  const name =
    given ??
    (await ctx.out.prompt({
      flag: '<thing> (the first argument)',
      message: 'Thing name:',
      validate: (v) => (/^[a-zA-Z0-9:_-]{1,128}$/.test(v) ? true : 'letters, digits, : _ - (at most 128)'),
    }));
  return requireName(THING_NAME, name);
}

async function fleetEntries(o: ProvisionOptions): Promise<FleetEntry[] | undefined> {
  if (o.count && o.fromFile) throw usageError('FLEET_SOURCE', 'Pass --count or --from-file, not both.');
  const { numberedThings, parseFleetCsv } = await import('../identity/fleet.js');
  if (o.count) {
    const prefix = o.prefix ?? 'device-';
    if (!/^[a-zA-Z0-9:_-]*$/.test(prefix)) throw usageError('INVALID_NAME', `The prefix "${prefix}" has characters thing names do not allow.`);
    return numberedThings(prefix, parsePositiveInt(o.count, '--count'));
  }
  if (o.prefix) throw usageError('PREFIX_WITHOUT_COUNT', '--prefix goes with --count.');
  if (o.fromFile) return parseFleetCsv(await readUserFile(o.fromFile, 'fleet CSV'), o.fromFile);
  return undefined;
}

/** The policy to attach: an existing one (--policy), or one rendered from a template (asking for missing parameters on a TTY). */
async function choosePolicy(ctx: Context, o: ProvisionOptions, interactive: boolean): Promise<ChosenPolicy> {
  if (o.policy) {
    if (o.template || o.param) throw usageError('POLICY_SOURCE', '--policy reuses an existing policy; drop --template/--param, or drop --policy.');
    return { name: requireName(POLICY_NAME, o.policy) };
  }
  const { loadTemplate, loadTemplates, templatePolicy } = await import('../policy-documents/templates.js');
  let templateName = o.template;
  if (!templateName && interactive) {
    const all = await loadTemplates();
    templateName = await ctx.out.choose('Policy template:', '--template <name>', all.map((t) => ({ name: t.name, value: t.name, description: t.description })), 'device');
  }
  const template = await loadTemplate(templateName ?? 'device');
  const params = parseKeyValues(o.param, '--param');
  if (interactive) {
    for (const p of template.parameters) {
      if (p.required && params[p.name] === undefined) params[p.name] = await ctx.out.prompt({ flag: `--param ${p.name}=<value>`, message: `${p.name} (${p.description}):` });
    }
  }
  return templatePolicy(template, params, o.policyName);
}

/** What provisioning needs from the profile: the IoT client, region, MQTT port, root CA and the journal of unfinished runs. */
async function environment(ctx: Context, rootCa: ReturnType<typeof parseRootChoice>): Promise<ProvisionEnvironment> {
  const settings = await ctx.settings();
  const [{ pendingCertificates }, { configDir }, { rootCaFor }] = await Promise.all([import('../identity/pending.js'), import('../config/paths.js'), import('../aws/root-ca.js')]);
  const iot = await ctx.iot();
  return {
    iot,
    region: await iot.config.region(),
    mqttPort: Number(settings.get('mqtt-port') ?? 8883),
    rootCa: async () => rootCaFor(settings, rootCa).pem,
    step: async (_title, work) => work(),
    profile: settings.profile,
    command: (...words) => ctx.iotctl(...words),
    pending: (thingName) => pendingCertificates(configDir(ctx.env), `${settings.get('endpoint-url') ?? 'aws'}|${settings.get('region') ?? ''}|${thingName}`),
  };
}

async function provisionOne(ctx: Context, plan: ProvisionPlan, env: ProvisionEnvironment): Promise<ExitCode> {
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

/** A fleet: a progress line on a terminal, one JSON record per thing with --json, a table at the end. */
async function provisionMany(ctx: Context, plans: ProvisionPlan[], env: ProvisionEnvironment, concurrency: number): Promise<ExitCode> {
  const { provisionFleet } = await import('../identity/fleet.js');
  const progress = await ctx.out.spinner(`provisioning ${plans.length} things`);
  const { outcomes, summary } = await provisionFleet(plans, env, {
    concurrency,
    onOutcome: (outcome, done, failed) => {
      progress.update(`provisioned ${done}/${plans.length}${failed ? `, ${failed} failed` : ''}`);
      if (ctx.out.json) ctx.out.record(outcome, () => '');
    },
  });
  if (summary.failed) progress.fail(`${summary.failed} of ${plans.length} things failed`);
  else progress.succeed(`provisioned ${plans.length} things`);
  if (ctx.out.json) ctx.out.record({ summary }, () => '');
  else {
    ctx.out.text(
      formatTable(
        ['THING', 'RESULT', 'DETAIL'],
        outcomes.map((o) => [o.thingName, o.ok ? (o.result?.unchanged ? 'unchanged' : 'ok') : 'FAILED', o.ok ? (o.result?.certificateId ?? '') : (o.error?.message ?? '')]),
      ) + `\n${summary.provisioned} provisioned, ${summary.failed} failed; policy ${summary.policy}${summary.policyCreated ? ' (created)' : ''}`,
    );
  }
  return summary.failed ? ExitCode.FAILURE : ExitCode.OK;
}

/** The plan --dry-run prints (and a terminal shows before asking). */
function planOf(plans: ProvisionPlan[], policy: ChosenPolicy) {
  const first = plans[0]!;
  return {
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
}

function planText(plan: ReturnType<typeof planOf>, plans: ProvisionPlan[]): string {
  const first = plans[0]!;
  return [
    `Plan: provision ${plans.length === 1 ? first.thingName : `${plans.length} things (${first.thingName} .. ${plans[plans.length - 1]!.thingName})`}`,
    formatPairs([
      ['folder', plans.length === 1 ? first.outDir : path.dirname(first.outDir) + path.sep + '<thing>'],
      ['key', `${plan.key.type} (${plan.key.format}), made here; it never leaves this machine`],
      ['policy', `${plan.policy.name}${plan.policy.template ? ` from template ${plan.policy.template}` : ' (existing)'}`],
      ['attributes', Object.entries(first.attributes ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || undefined],
    ]),
    ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`),
  ].join('\n');
}
