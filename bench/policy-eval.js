// Policy decisions per second: one principal with 10 attached policies of 10
// statements each (variables in resources and conditions, a Deny in each
// policy), the way the local broker calls the evaluator on every PUBLISH and
// every delivery: policies compiled once, one variable bag per connection.
// Usage: npx tsc -p . && node bench/policy-eval.js [seconds per case]
import os from 'node:os';
import { buildVariables, compilePolicy, evaluate, isAllowed, resourceForAction } from '../dist/core/policy/index.js';

const seconds = Number(process.argv[2] ?? 2);
const T = '${iot:Connection.Thing.ThingName}';
const arn = (rest) => `arn:aws:iot:*:123456789012:${rest}`;

function policy(i) {
  return {
    name: `policy-${i}`,
    versionId: '1',
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: arn(`client/${T}`), Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: arn(`topic/p${i}/${T}/*`) },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn(`topicfilter/p${i}/${T}/*`) },
        { Effect: 'Allow', Action: 'iot:Receive', Resource: [arn(`topic/p${i}/${T}/*`), arn(`topic/p${i}/fleet/????/*`)] },
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: arn(`topic/shared/p${i}/*`) },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: [arn(`topicfilter/shared/p${i}/*`), arn(`topicfilter/p${i}/fleet/*`)] },
        { Effect: 'Deny', Action: 'iot:Publish', Resource: arn(`topic/p${i}/*/admin/*`) },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: arn(`topic/$aws/things/${T}/shadow/update`), Condition: { StringEquals: { 'iot:ClientId': T } } },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic/cn/${iot:Certificate.Subject.CommonName}/*'), Condition: { 'ForAnyValue:StringLike': { 'iot:Certificate.Subject.OrganizationalUnit.List': 'eng*' } } },
        { Effect: 'Allow', Action: 'iot:Receive', NotResource: arn(`topic/p${i}/private/*`), Condition: { StringEqualsIfExists: { 'iot:Connection.Thing.ThingTypeName': 'lamp' } } },
      ],
    },
  };
}

const policies = Array.from({ length: 10 }, (_, i) => compilePolicy(policy(i)));
const statements = policies.reduce((n, p) => n + p.statements.length, 0);
const scope = { region: 'us-east-1', account: '123456789012' };
const principals = ['lamp-1', 'lamp-2', 'sensor-7', 'gateway-3'].map((name) =>
  buildVariables({ clientId: name, thing: { name, typeName: 'lamp' }, certificate: { subject: { CommonName: [name], OrganizationalUnit: ['ops', 'eng-iot'] } } }),
);
const names = ['lamp-1', 'lamp-2', 'sensor-7', 'gateway-3'];
const requests = names.flatMap((name, k) =>
  [
    ['iot:Connect', name],
    ['iot:Publish', `p${k}/${name}/telemetry`],
    ['iot:Publish', `p9/${name}/telemetry`],
    ['iot:Publish', `p${k}/${name}/admin/reset`],
    ['iot:Publish', `p${k}/someone-else/telemetry`],
    ['iot:Subscribe', `p${k}/${name}/#`],
    ['iot:Subscribe', `shared/p${k}/+/alerts`],
    ['iot:Receive', `p${k}/fleet/abcd/x`],
    ['iot:Receive', `p${k}/private/x`],
    ['iot:Publish', `$aws/things/${name}/shadow/update`],
    ['iot:Publish', `cn/${name}/hello`],
    ['iot:Publish', 'nowhere/at/all'],
  ].map(([action, target]) => ({ bag: principals[k], request: { action, resource: resourceForAction(action, target, scope) } })),
);

function run(label, decide) {
  let allowed = 0;
  for (let i = 0; i < 500; i++) for (const r of requests) decide(r); // warm up the JIT
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    for (let j = 0; j < 20; j++) for (const r of requests) if (decide(r)) allowed++;
    n += 20 * requests.length;
    now = process.hrtime.bigint();
  }
  const perSecond = n / (Number(now - start) / 1e9);
  console.log(`${label.padEnd(44)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} decisions/s   (${((allowed / n) * 100).toFixed(0)}% allowed)`);
  return perSecond;
}

console.log(`policy evaluation: ${policies.length} policies, ${statements} statements, ${requests.length} distinct requests (${os.cpus().length} cpus, node ${process.version})`);
const full = run('evaluate() with explanation', (r) => evaluate(policies, r.request, r.bag).allowed);
run('isAllowed() (short-circuit, broker path)', (r) => isAllowed(policies, r.request, r.bag));
console.log(`goal >= 200,000 decisions/s for evaluate(): ${full >= 200_000 ? 'met' : 'NOT met'}`);
