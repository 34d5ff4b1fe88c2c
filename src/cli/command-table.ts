import type { CommandModule } from '../commands/define.js';

/**
 * Every command, as metadata only: the name, a one-line summary and a loader.
 * `iotctl --help` reads this table and loads no command module (and so neither
 * the AWS SDK nor aws-crt). Add a command here with one line.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  /** For a group: shown in `iotctl <group> --help` (a command module adds its own). */
  examples?: string[];
  /** A group of commands (`iotctl config list`, `iotctl cognito pool create`), or ... */
  verbs?: CommandEntry[];
  /** ... a single command (`iotctl pub`): its module's default export (cli/command.ts defineCommand). */
  load?: () => Promise<{ default: CommandModule }>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: 'demo',
    summary: 'the whole story on a throwaway local AWS IoT Core: devices, home policies, Cognito users (no AWS account)',
    examples: ['iotctl demo'],
    load: () => import('../commands/demo.js'),
  },
  {
    name: 'config',
    summary: 'show and change iotctl profiles and settings',
    examples: ['iotctl config list', 'iotctl config set region eu-west-1', 'iotctl config use local'],
    verbs: [
      { name: 'list', summary: 'list profiles and their settings', load: () => import('../commands/config/list.js') },
      { name: 'get', summary: 'print one resolved setting', load: () => import('../commands/config/get.js') },
      { name: 'set', summary: 'set a setting in a profile', load: () => import('../commands/config/set.js') },
      { name: 'unset', summary: 'remove a setting from a profile', load: () => import('../commands/config/unset.js') },
      { name: 'use', summary: 'make a profile the current one', load: () => import('../commands/config/use.js') },
      { name: 'path', summary: 'print the config file path', load: () => import('../commands/config/path.js') },
    ],
  },
  {
    name: 'provision',
    summary: 'one-shot device setup: key, CSR, certificate, thing, policy, device folder',
    examples: ['iotctl provision pi01', 'iotctl provision pi02 --template device --yes --json'],
    load: () => import('../commands/provision.js'),
  },
  {
    name: 'pub',
    summary: 'publish messages over MQTT (or HTTPS with --http): one, repeated, or one per input line (QoS 1 waits for every ack)',
    examples: ["iotctl pub --device ./pi01 dt/pi01/temp '{\"t\": 21.5}'", 'iotctl pub --lines sim/telemetry < readings.ndjson'],
    load: () => import('../commands/pub.js'),
  },
  {
    name: 'retained',
    summary: 'retained messages, over the HTTPS data plane (clear one with: pub --http --retain <topic> \'\')',
    examples: [
      `iotctl pub --http --auth sigv4 --retain sensors/demo/config '{"interval": 60}'`,
      'iotctl retained get --auth sigv4 sensors/demo/config',
      'iotctl retained list --auth sigv4',
      "iotctl pub --http --auth sigv4 --retain sensors/demo/config ''   # clears it",
    ],
    verbs: [
      { name: 'get', summary: "print a topic's retained message (GetRetainedMessage)", load: () => import('../commands/retained/get.js') },
      { name: 'list', summary: 'list the topics that hold a retained message (ListRetainedMessages)', load: () => import('../commands/retained/list.js') },
    ],
  },
  {
    name: 'shadow',
    summary: 'Device Shadows: get, update, delete and list them (HTTPS, or --mqtt), watch them (MQTT)',
    examples: [
      `iotctl shadow update lamp --auth sigv4 --desired '{"light": "on"}'`,
      'iotctl shadow get lamp --auth sigv4',
      'iotctl shadow watch lamp --auth sigv4   # until Ctrl-C',
    ],
    verbs: [
      { name: 'get', summary: "print a shadow: desired, reported and delta (GetThingShadow)", load: () => import('../commands/shadow/get.js') },
      { name: 'update', summary: 'merge desired or reported state (UpdateThingShadow)', load: () => import('../commands/shadow/update.js') },
      { name: 'delete', summary: 'delete a shadow (DeleteThingShadow)', load: () => import('../commands/shadow/delete.js') },
      { name: 'list', summary: "list a thing's named shadows (ListNamedShadowsForThing)", load: () => import('../commands/shadow/list.js') },
      { name: 'watch', summary: 'follow a shadow over MQTT until Ctrl-C: updates, deltas, deletes', load: () => import('../commands/shadow/watch.js') },
    ],
  },
  {
    name: 'sub',
    summary: 'print MQTT messages until --count, --timeout or Ctrl-C (pretty on a terminal, NDJSON when piped)',
    examples: ["iotctl sub 'dt/+/temp' --count 1 --timeout 30s --json"],
    load: () => import('../commands/sub.js'),
  },
  {
    name: 'tail',
    summary: 'follow MQTT topics until Ctrl-C, reconnecting with backoff',
    examples: ["iotctl tail --device ./pi01 'dt/pi01/#'"],
    load: () => import('../commands/tail.js'),
  },
  {
    name: 'sign-url',
    summary: 'a presigned wss://.../mqtt URL (SigV4 or a Cognito identity) that browsers and MQTT.js open with no headers',
    examples: ['iotctl --profile local sign-url --auth cognito --identity-pool-id <pool id> --json'],
    load: () => import('../commands/sign-url.js'),
  },
  {
    name: 'web',
    summary: 'the browser app (templates/web): copy it to make your own page; local start --web serves it',
    examples: ['iotctl web init my-app'],
    verbs: [{ name: 'init', summary: 'copy the web app and MQTT.js for the browser into a folder', load: () => import('../commands/web/init.js') }],
  },
  {
    name: 'keygen',
    summary: 'make a private key locally (EC P-256 by default), mode 0600',
    examples: ['iotctl keygen --out pi01.key'],
    load: () => import('../commands/keygen.js'),
  },
  {
    name: 'csr',
    summary: 'certificate signing requests made locally',
    examples: ['iotctl csr create --cn pi01 --new-key pi01.key --out pi01.csr'],
    verbs: [{ name: 'create', summary: 'make a CSR (and optionally its key)', load: () => import('../commands/csr/create.js') }],
  },
  {
    name: 'thing',
    summary: 'create, inspect and delete things; attach certificates to them',
    examples: ['iotctl thing create lamp-1 --attr room=kitchen', 'iotctl thing list --json', 'iotctl thing attach pi01 --principal <cert ARN>'],
    verbs: [
      { name: 'create', summary: 'create a thing (CreateThing)', load: () => import('../commands/thing/create.js') },
      { name: 'describe', summary: 'show a thing and its principals', load: () => import('../commands/thing/describe.js') },
      { name: 'list', summary: 'list things, optionally by attribute or type', load: () => import('../commands/thing/list.js') },
      { name: 'delete', summary: 'delete a thing (--force detaches its certificates)', load: () => import('../commands/thing/delete.js') },
      { name: 'attach', summary: 'attach a certificate to a thing', load: () => import('../commands/thing/attach.js') },
      { name: 'detach', summary: 'detach a certificate from a thing', load: () => import('../commands/thing/detach.js') },
    ],
  },
  {
    name: 'cert',
    summary: 'register and manage device certificates',
    examples: ['iotctl csr create --cn pi01 --new-key pi01.key --out pi01.csr && iotctl cert create --csr pi01.csr --out pi01.pem', 'iotctl cert list --status ACTIVE', 'iotctl cert delete <id> --force'],
    verbs: [
      { name: 'create', summary: 'register a certificate from a CSR (or --aws-keys)', load: () => import('../commands/cert/create.js') },
      { name: 'list', summary: 'list certificates', load: () => import('../commands/cert/list.js') },
      { name: 'describe', summary: 'show a certificate, its policies and things', load: () => import('../commands/cert/describe.js') },
      { name: 'activate', summary: 'set a certificate ACTIVE', load: () => import('../commands/cert/activate.js') },
      { name: 'deactivate', summary: 'set a certificate INACTIVE', load: () => import('../commands/cert/deactivate.js') },
      { name: 'revoke', summary: 'set a certificate REVOKED', load: () => import('../commands/cert/revoke.js') },
      { name: 'delete', summary: 'delete a certificate (--force cleans up first)', load: () => import('../commands/cert/delete.js') },
    ],
  },
  {
    name: 'ca',
    summary: 'root CA certificates for the data endpoint',
    examples: ['iotctl ca fetch --out root-ca.pem'],
    verbs: [{ name: 'fetch', summary: 'write Amazon Root CA 1/3 (or the local CA)', load: () => import('../commands/ca/fetch.js') }],
  },
  {
    name: 'policy',
    summary: 'AWS IoT policies: templates, validate, test and explain decisions; create, update, attach',
    examples: [
      'iotctl policy templates',
      'iotctl policy render home --param homeId=123_aws_ave > home.json',
      'iotctl policy validate home.json',
      'iotctl policy test -f home.json --action iot:Subscribe --resource "home/123_aws_ave/#"',
      'iotctl policy explain -f home.json --action iot:Publish --resource home/123_aws_ave/door_1/open --client-id 123_aws_ave-alice',
    ],
    verbs: [
      { name: 'templates', summary: 'list the policy templates and their parameters', load: () => import('../commands/policy/templates.js') },
      { name: 'render', summary: 'render a template into a policy document', load: () => import('../commands/policy/render.js') },
      { name: 'validate', summary: 'check a policy document: errors (exit 2) and warnings', load: () => import('../commands/policy/validate.js') },
      { name: 'test', summary: 'decide one request against policy files or a principal (exit 0 allowed, 3 denied)', load: () => import('../commands/policy/test.js') },
      { name: 'explain', summary: 'decide one request and trace every statement', load: () => import('../commands/policy/explain.js') },
      { name: 'create', summary: 'create a policy from a file or a template', load: () => import('../commands/policy/create.js') },
      { name: 'get', summary: 'print a policy document', load: () => import('../commands/policy/get.js') },
      { name: 'list', summary: 'list policies', load: () => import('../commands/policy/list.js') },
      { name: 'versions', summary: "list a policy's versions", load: () => import('../commands/policy/versions.js') },
      { name: 'update', summary: 'add a new default version (--prune at 5 versions)', load: () => import('../commands/policy/update.js') },
      { name: 'delete', summary: 'delete a policy (--force detaches it first)', load: () => import('../commands/policy/delete.js') },
      { name: 'attach', summary: 'attach a policy to a certificate or Cognito identity', load: () => import('../commands/policy/attach.js') },
      { name: 'detach', summary: 'detach a policy from a certificate or Cognito identity', load: () => import('../commands/policy/detach.js') },
      { name: 'targets', summary: 'list what a policy is attached to', load: () => import('../commands/policy/targets.js') },
    ],
  },
  {
    name: 'local',
    summary: 'run the built-in local AWS IoT Core (control plane, MQTT broker with enforced policies)',
    examples: [
      'iotctl local start   # keeps running: use another terminal for what follows',
      'iotctl local status',
      'iotctl local logs --follow   # until Ctrl-C',
      'iotctl local ca',
      'iotctl local reset --yes   # exit 1: refused while it runs',
    ],
    verbs: [
      { name: 'start', summary: 'run it in the foreground and write the "local" profile', load: () => import('../commands/local/start.js') },
      { name: 'status', summary: 'whether it is running, and where (exit 1 if not)', load: () => import('../commands/local/status.js') },
      { name: 'reset', summary: 'wipe its state (refused while it runs)', load: () => import('../commands/local/reset.js') },
      { name: 'ca', summary: 'print the path of its CA certificate', load: () => import('../commands/local/ca.js') },
      { name: 'logs', summary: 'denied MQTT and HTTPS operations and failed authentications, explained (--follow)', load: () => import('../commands/local/logs.js') },
      { name: 'login', summary: 'sign a user in with its local login provider (ID token for Cognito)', load: () => import('../commands/local/login.js') },
    ],
  },
  {
    name: 'cognito',
    summary: 'Amazon Cognito identities for app users: pools, credentials, IoT policy registration',
    examples: [
      'iotctl --profile local cognito pool create demo --allow-unauthenticated',
      'iotctl --profile local cognito credentials --identity-pool-id <pool id> --login local=alice',
      'iotctl --profile local cognito register --identity-id <identity id>',
    ],
    verbs: [
      {
        name: 'pool',
        summary: 'identity pools',
        examples: ['iotctl cognito pool list', 'iotctl --profile local cognito pool create demo --allow-unauthenticated'],
        verbs: [
          { name: 'create', summary: 'create an identity pool (and, locally, its roles)', load: () => import('../commands/cognito/pool/create.js') },
          { name: 'describe', summary: 'show an identity pool and its roles', load: () => import('../commands/cognito/pool/describe.js') },
          { name: 'list', summary: 'list identity pools', load: () => import('../commands/cognito/pool/list.js') },
          { name: 'roles', summary: "show or set a pool's roles", load: () => import('../commands/cognito/pool/roles.js') },
        ],
      },
      { name: 'credentials', summary: 'AWS credentials for a guest or signed-in identity (json, env, credential_process)', load: () => import('../commands/cognito/credentials.js') },
      { name: 'register', summary: 'attach an IoT policy to an identity (on-demand registration), idempotently', load: () => import('../commands/cognito/register.js') },
    ],
  },
];
