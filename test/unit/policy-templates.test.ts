import { describe, expect, it } from 'vitest';
import { checkTemplate, evaluate, lintPolicy, parseArn, renderTemplate, resourceTypeFor, type PolicyTemplate } from '../../src/core/policy/index.js';
import { loadTemplate, loadTemplates } from '../../src/policy-documents/templates.js';
import { decision, request } from '../helpers/policy.js';

const templates = await loadTemplates();
const byName = (name: string) => templates.find((t) => t.name === name)!;
const SAMPLE: Record<string, string> = { homeId: '123_aws_ave', prefix: 'sensors/floor1', clientIdPrefix: 'dash-' };
const required = (t: PolicyTemplate) => Object.fromEntries(t.parameters.filter((p) => p.required).map((p) => [p.name, SAMPLE[p.name]!]));
const render = (name: string, params: Record<string, string> = {}) => {
  const t = byName(name);
  return { name, document: renderTemplate(t, { ...required(t), ...params }).document };
};

describe('shipped templates', () => {
  it('are the seven expected ones', () => {
    expect(templates.map((t) => t.name)).toEqual(['cognito-user', 'device', 'home', 'http-device', 'read-only', 'shadow', 'web-user']);
  });

  it.each(templates.map((t) => [t.name, t] as const))('%s is a sound template', (_name, t) => {
    expect(checkTemplate(t)).toEqual([]);
  });

  /** The longest values each parameter's pattern accepts. */
  const level = 'x'.repeat(64);
  const LONGEST: Record<string, Record<string, string>> = {
    'cognito-user': { prefix: Array(4).fill(level).join('/') },
    device: { prefix: level },
    home: { homeId: level },
    'http-device': { prefix: level },
    'read-only': { prefix: Array(7).fill(level).join('/'), clientIdPrefix: level },
    shadow: {},
  };

  it.each(templates.map((t) => [t.name, t] as const))('%s renders a valid policy within 2,048 characters, even with the longest values', (name, t) => {
    const rendered = renderTemplate(t, { region: 'us-isof-south-1', account: '123456789012', ...LONGEST[name] });
    expect(rendered.parsed.errors).toEqual([]);
    expect(rendered.parsed.size).toBeLessThanOrEqual(2048);
    expect(lintPolicy(rendered.parsed).filter((w) => w.severity === 'warning')).toEqual([]);
  });

  it.each(templates.map((t) => [t.name, t] as const))('%s uses the resource type each action is checked against', (_name, t) => {
    const { parsed } = renderTemplate(t, required(t));
    for (const s of parsed.statements) {
      for (const action of s.actions) {
        for (const r of s.resources) expect(`${action} ${parseArn(r)?.type}`).toBe(`${action} ${resourceTypeFor(action)}`);
      }
    }
  });

  it('leave policy variables alone and fill region and account', () => {
    const { document } = renderTemplate(byName('device'), { region: 'eu-west-1', account: '111122223333' });
    const [connect] = (document as { Statement: { Resource: string[] }[] }).Statement;
    expect(connect!.Resource).toEqual([
      'arn:aws:iot:eu-west-1:111122223333:client/${iot:Connection.Thing.ThingName}',
      'arn:aws:iot:eu-west-1:111122223333:client/${iot:Connection.Thing.ThingName}-*',
    ]);
  });

  it('default region and account to *', () => {
    const { document, parameters } = renderTemplate(byName('home'), { homeId: 'h1' });
    expect(parameters).toEqual({ homeId: 'h1', region: '*', account: '*' });
    expect(JSON.stringify(document)).toContain('arn:aws:iot:*:*:topicfilter/home/h1/*');
  });
});

describe('template parameters', () => {
  it.each<[string, Record<string, string>, string]>([
    ['home', {}, 'The template "home" needs the parameter "homeId" (the home\'s id, the topic level after home/ (e.g. 123_aws_ave)).'],
    ['home', { homeId: 'a/b' }, 'The value "a/b" for "homeId" does not match [A-Za-z0-9_.:-]{1,64}.'],
    ['home', { homeId: '*' }, 'The value "*" for "homeId" does not match [A-Za-z0-9_.:-]{1,64}.'],
    ['home', { homeId: 'h', color: 'red' }, 'The template "home" has no parameter "color".'],
    ['device', { region: 'mars' }, 'The value "mars" for "region" does not match \\*|[a-z]{2}(-[a-z]+)+-\\d+.'],
    ['device', { account: '12345' }, 'The value "12345" for "account" does not match \\*|\\d{12}.'],
    ['read-only', {}, 'The template "read-only" needs the parameter "prefix" (topic prefix to read, e.g. sensors or home/123_aws_ave).'],
  ])('%s %j', (name, params, message) => {
    expect(() => renderTemplate(byName(name), params)).toThrow(message);
  });

  it('a rendering over the size limit is an error naming the count', () => {
    const t: PolicyTemplate = { name: 'big', description: 'd', parameters: [{ name: 'x', description: 'x' }], document: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/{{x}}' } } };
    expect(() => renderTemplate(t, { x: 'a'.repeat(2100) })).toThrow(/^The template "big" rendered an invalid policy: The policy is \d+ characters long without whitespace; AWS IoT allows at most 2048\.$/);
  });

  it('checkTemplate finds undeclared and unused placeholders', () => {
    const t = { name: 't', description: 'd', parameters: [{ name: 'unused', description: 'u' }], document: { Statement: '{{nope}}' } };
    expect(checkTemplate(t)).toEqual(['the document uses {{nope}} but no parameter "nope" is declared', 'parameter "unused" is declared but the document never uses {{unused}}']);
  });

  it('loadTemplate names the known templates when one is missing', async () => {
    await expect(loadTemplate('nope')).rejects.toThrow('There is no policy template "nope".');
  });
});

describe('templates decide as intended', () => {
  const device = [render('device')];
  const shadow = [render('shadow')];
  const reader = [render('read-only')];
  const http = [render('http-device')];
  const lamp = { clientId: 'lamp-1', thing: { name: 'lamp-1' } };
  /** An HTTPS request: no client id and no thing, only the certificate (CN = the thing name, as iotctl provision makes it). */
  const lampOverHttps = { certificate: { id: 'a'.repeat(64), subject: { CommonName: ['lamp-1'] } } };
  it.each<[string, ReturnType<typeof render>[], string, string, object, string]>([
    ['device connects as its thing name', device, 'iot:Connect', 'lamp-1', lamp, 'ALLOWED'],
    ['device cannot take another client id', device, 'iot:Connect', 'lamp-2', lamp, 'IMPLICIT_DENY'],
    ['device needs an attached thing', device, 'iot:Connect', 'lamp-1', { clientId: 'lamp-1' }, 'IMPLICIT_DENY'],
    ['device publishes under its own prefix', device, 'iot:Publish', 'things/lamp-1/state', lamp, 'ALLOWED'],
    ['device cannot publish for another thing', device, 'iot:Publish', 'things/lamp-2/state', lamp, 'IMPLICIT_DENY'],
    ['device subscribes to its own topics', device, 'iot:Subscribe', 'things/lamp-1/#', lamp, 'ALLOWED'],
    ['device updates its classic shadow', device, 'iot:Publish', '$aws/things/lamp-1/shadow/update', lamp, 'ALLOWED'],
    ['device receives its shadow delta', device, 'iot:Receive', '$aws/things/lamp-1/shadow/update/delta', lamp, 'ALLOWED'],
    ['device cannot spoof shadow responses', device, 'iot:Publish', '$aws/things/lamp-1/shadow/update/accepted', lamp, 'IMPLICIT_DENY'],
    ['shadow: named shadow update', shadow, 'iot:Publish', '$aws/things/lamp-1/shadow/name/config/update', lamp, 'ALLOWED'],
    ['shadow: named shadow responses', shadow, 'iot:Subscribe', '$aws/things/lamp-1/shadow/name/config/update/#', lamp, 'ALLOWED'],
    ['shadow: not another thing', shadow, 'iot:Subscribe', '$aws/things/lamp-2/shadow/update/#', lamp, 'IMPLICIT_DENY'],
    ['shadow: no plain topics', shadow, 'iot:Publish', 'things/lamp-1/state', lamp, 'IMPLICIT_DENY'],
    ['shadow: a second session (iotctl shadow --mqtt) connects as <thing>-<suffix>', shadow, 'iot:Connect', 'lamp-1-shadow-ab12', { clientId: 'lamp-1-shadow-ab12', thing: { name: 'lamp-1' } }, 'ALLOWED'],
    ['shadow: never publishes an answer (no faked delta)', shadow, 'iot:Publish', '$aws/things/lamp-1/shadow/update/delta', lamp, 'IMPLICIT_DENY'],
    ['shadow: nor a named shadow\'s answer', shadow, 'iot:Publish', '$aws/things/lamp-1/shadow/name/config/update/accepted', lamp, 'IMPLICIT_DENY'],
    ['shadow: receives its named shadows\' deltas', shadow, 'iot:Receive', '$aws/things/lamp-1/shadow/name/config/update/delta', lamp, 'ALLOWED'],
    ["shadow: not another thing's answers", shadow, 'iot:Receive', '$aws/things/lamp-2/shadow/update/delta', lamp, 'IMPLICIT_DENY'],
    ['shadow: GetThingShadow over HTTPS by its common name', shadow, 'iot:GetThingShadow', 'lamp-1', lampOverHttps, 'ALLOWED'],
    ['shadow: UpdateThingShadow of a named shadow over HTTPS', shadow, 'iot:UpdateThingShadow', 'lamp-1/config', lampOverHttps, 'ALLOWED'],
    ['shadow: ListNamedShadowsForThing over HTTPS', shadow, 'iot:ListNamedShadowsForThing', 'lamp-1', lampOverHttps, 'ALLOWED'],
    ["shadow: not another thing's shadow over HTTPS", shadow, 'iot:DeleteThingShadow', 'lamp-2', lampOverHttps, 'IMPLICIT_DENY'],
    ["shadow: not another thing's named shadow either", shadow, 'iot:GetThingShadow', 'lamp-2/config', lampOverHttps, 'IMPLICIT_DENY'],
    ['device cannot publish over HTTPS (no thing variables there)', device, 'iot:Publish', 'things/lamp-1/state', lampOverHttps, 'IMPLICIT_DENY'],
    ['http-device publishes over HTTPS by its common name', http, 'iot:Publish', 'things/lamp-1/state', lampOverHttps, 'ALLOWED'],
    ['http-device retains and reads back its own retained messages', http, 'iot:GetRetainedMessage', 'things/lamp-1/state', lampOverHttps, 'ALLOWED'],
    ['http-device cannot publish for another device', http, 'iot:Publish', 'things/lamp-2/state', lampOverHttps, 'IMPLICIT_DENY'],
    ['http-device connects over MQTT as its common name', http, 'iot:Connect', 'lamp-1', lampOverHttps, 'ALLOWED'],
    ['http-device subscribes to its own topics', http, 'iot:Subscribe', 'things/lamp-1/#', lampOverHttps, 'ALLOWED'],
    ['http-device needs a certificate', http, 'iot:Publish', 'things/lamp-1/state', lamp, 'IMPLICIT_DENY'],
    ['read-only subscribes', reader, 'iot:Subscribe', 'sensors/floor1/#', { clientId: 'reader-1' }, 'ALLOWED'],
    ['read-only receives', reader, 'iot:Receive', 'sensors/floor1/t', { clientId: 'reader-1' }, 'ALLOWED'],
    ['read-only never publishes', reader, 'iot:Publish', 'sensors/floor1/t', { clientId: 'reader-1' }, 'IMPLICIT_DENY'],
    ['read-only connects with its prefix', reader, 'iot:Connect', 'reader-1', {}, 'ALLOWED'],
    ['read-only: other client ids', reader, 'iot:Connect', 'lamp-1', {}, 'IMPLICIT_DENY'],
  ])('%s', (_name, policies, action, target, context, expected) => {
    expect(decision(policies, action, target, context)).toBe(expected);
  });

  it('templates compile to policies the evaluator accepts as-is', () => {
    for (const t of templates) expect(evaluate([render(t.name)], request('iot:Connect', 'x'), {}).decision).toMatch(/ALLOWED|IMPLICIT_DENY/);
  });
});
