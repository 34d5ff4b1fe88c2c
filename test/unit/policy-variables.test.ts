import { describe, expect, it } from 'vitest';
import { buildVariables, parseTemplate, parseVariableRef, VariableBag, type PolicyContext } from '../../src/core/policy/variables.js';
import { allow, anyArn, check, decision, policy } from '../helpers/policy.js';

const thing = (name: string, extra: Partial<NonNullable<PolicyContext['thing']>> = {}): PolicyContext => ({ clientId: name, thing: { name, ...extra } });
const cert = (subject: Record<string, string[]>, extra: Record<string, unknown> = {}): PolicyContext => ({ certificate: { subject, ...extra } });
const onTopic = (resource: string) => [policy('p', allow('iot:Publish', anyArn(resource)))];

describe('variables in Resource', () => {
  it.each<[string, string, PolicyContext, string]>([
    // resource pattern, topic published, context, decision
    ['topic/things/${iot:Connection.Thing.ThingName}/*', 'things/lamp1/state', thing('lamp1'), 'ALLOWED'],
    ['topic/things/${iot:Connection.Thing.ThingName}/*', 'things/lamp2/state', thing('lamp1'), 'IMPLICIT_DENY'],
    ['topic/things/${iot:Connection.Thing.ThingName}/*', 'things/lamp1/state', { clientId: 'lamp1' }, 'IMPLICIT_DENY'], // no thing attached
    ['topic/things/${iot:Connection.Thing.ThingName}/*', 'things/lamp1/state', thing('lamp1', { attached: false }), 'IMPLICIT_DENY'],
    ['topic/c/${iot:ClientId}', 'c/dev-1', { clientId: 'dev-1' }, 'ALLOWED'],
    ['topic/c/${iot:clientid}', 'c/dev-1', { clientId: 'dev-1' }, 'ALLOWED'], // names are case-insensitive
    ['topic/c/${iot:ClientId}', 'c/anything', { clientId: '*' }, 'IMPLICIT_DENY'], // substituted * is literal
    ['topic/c/${iot:ClientId}', 'c/*', { clientId: '*' }, 'ALLOWED'],
    ['topic/c/${iot:ClientId}', 'c/ab', { clientId: 'a?' }, 'IMPLICIT_DENY'], // substituted ? is literal
    ['topic/t/${iot:Connection.Thing.ThingTypeName}', 't/lamp', thing('l1', { typeName: 'lamp' }), 'ALLOWED'],
    ['topic/f/${iot:Connection.Thing.Attributes[floor]}/*', 'f/2/x', thing('l1', { attributes: { floor: '2' } }), 'ALLOWED'],
    ['topic/f/${iot:Connection.Thing.Attributes[Floor]}/*', 'f/2/x', thing('l1', { attributes: { floor: '2' } }), 'IMPLICIT_DENY'], // attribute names keep their case
    ['topic/a/${iot:Connection.Thing.IsAttached}', 'a/true', thing('l1'), 'ALLOWED'],
    ['topic/a/${iot:Connection.Thing.IsAttached}', 'a/false', {}, 'ALLOWED'],
    ['topic/u/${cognito-identity.amazonaws.com:sub}/*', 'u/us-east-1:abc/x', { cognito: { identityId: 'us-east-1:abc' } }, 'ALLOWED'],
    ['topic/ip/${aws:SourceIp}', 'ip/10.0.0.1', { sourceIp: '10.0.0.1' }, 'ALLOWED'],
    ['topic/d/${iot:DomainName}', 'd/example.com', { domainName: 'example.com' }, 'ALLOWED'],
    ['topic/id/${iot:CertificateId}', 'id/abc123', { certificate: { id: 'abc123' } }, 'ALLOWED'],
    ['topic/sn/${iot:Certificate.SerialNumber}', 'sn/0a1b', { certificate: { serialNumber: '0a1b' } }, 'ALLOWED'],
    ['topic/x/${custom:key}', 'x/v', { variables: { 'custom:key': 'v' } }, 'ALLOWED'],
    ['topic/x/${custom:key, \'dflt\'}', 'x/dflt', {}, 'ALLOWED'], // IAM default value
    ['topic/x/${custom:key, \'dflt\'}', 'x/v', { variables: { 'custom:key': 'v' } }, 'ALLOWED'],
  ])('%s on %s', (resource, topic, context, expected) => {
    expect(decision(onTopic(resource), 'iot:Publish', topic, context)).toBe(expected);
  });

  it('escapes ${*} ${?} ${$} are literal characters', () => {
    const p = onTopic('topic/a/${*}/b${?}/${$}{x}');
    expect(decision(p, 'iot:Publish', 'a/*/b?/${x}')).toBe('ALLOWED');
    expect(decision(p, 'iot:Publish', 'a/zz/bq/${x}')).toBe('IMPLICIT_DENY');
  });

  it('substitutes once: a value that looks like a variable stays literal', () => {
    const p = onTopic('topic/c/${iot:ClientId}');
    const ctx = { clientId: '${iot:Connection.Thing.ThingName}', thing: { name: 'x' } };
    expect(decision(p, 'iot:Publish', 'c/${iot:Connection.Thing.ThingName}', ctx)).toBe('ALLOWED');
    expect(decision(p, 'iot:Publish', 'c/x', ctx)).toBe('IMPLICIT_DENY');
  });

  it('records missing variables and names them once', () => {
    const p = [policy('p', allow('iot:Publish', [anyArn('topic/a/${iot:Connection.Thing.ThingName}'), anyArn('topic/b/${iot:Connection.Thing.ThingName}')]))];
    const result = check(p, 'iot:Publish', 'a/x');
    expect(result.decision).toBe('IMPLICIT_DENY');
    expect(result.missingVariables).toEqual(['iot:Connection.Thing.ThingName']);
  });

  it('does not report variables of statements for other actions', () => {
    const p = [policy('p', allow('iot:Connect', anyArn('client/${iot:Connection.Thing.ThingName}')), allow('iot:Publish', anyArn('topic/x')))];
    expect(check(p, 'iot:Publish', 'x').missingVariables).toEqual([]);
  });

  it('a Deny whose variable has no value does not apply', () => {
    const p = [policy('p', allow('iot:Publish', anyArn('topic/*')), { Effect: 'Deny', Action: 'iot:Publish', Resource: anyArn('topic/${iot:Connection.Thing.ThingName}/*') })];
    expect(decision(p, 'iot:Publish', 'lamp/x')).toBe('ALLOWED');
    expect(decision(p, 'iot:Publish', 'lamp/x', thing('lamp'))).toBe('EXPLICIT_DENY');
  });

  it('without Version 2012-10-17, ${...} is literal text', () => {
    const p = [{ name: 'old', document: { Statement: allow('iot:Publish', anyArn('topic/c/${iot:ClientId}')) } }];
    expect(decision(p, 'iot:Publish', 'c/dev1', { clientId: 'dev1' })).toBe('IMPLICIT_DENY');
    expect(decision(p, 'iot:Publish', 'c/${iot:ClientId}', { clientId: 'dev1' })).toBe('ALLOWED');
  });
});

describe('certificate variables', () => {
  const ous = cert({ OrganizationalUnit: ['eng', 'ops', 'qa'], CommonName: ['dev1'] });
  it.each<[string, string, PolicyContext, string]>([
    ['topic/cn/${iot:Certificate.Subject.CommonName}', 'cn/dev1', ous, 'ALLOWED'],
    ['topic/ou/${iot:Certificate.Subject.OrganizationalUnit}', 'ou/eng', ous, 'ALLOWED'], // plain = first value
    ['topic/ou/${iot:Certificate.Subject.OrganizationalUnit.1}', 'ou/ops', ous, 'ALLOWED'], // .1 = second value
    ['topic/ou/${iot:Certificate.Subject.OrganizationalUnit.2}', 'ou/qa', ous, 'ALLOWED'],
    ['topic/ou/${iot:Certificate.Subject.OrganizationalUnit.3}', 'ou/qa', ous, 'IMPLICIT_DENY'], // past the end
    ['topic/ou/${iot:Certificate.Subject.OrganizationalUnit.List}', 'ou/eng', ous, 'IMPLICIT_DENY'], // lists are not substituted into resources
    ['topic/cn/${iot:Certificate.Subject.CommonName}', 'cn/a*b', cert({ CommonName: ['a*b'] }), 'IMPLICIT_DENY'], // values with * are not substituted
    ['topic/cn/${iot:Certificate.Subject.CommonName}', 'cn/a#b', cert({ CommonName: ['a#b'] }), 'IMPLICIT_DENY'],
    ['topic/cn/${iot:Certificate.Subject.CommonName}', 'cn/a$b', cert({ CommonName: ['a$b'] }), 'IMPLICIT_DENY'],
    ['topic/cn/${iot:Certificate.Subject.CommonName}', `cn/${'x'.repeat(1025)}`, cert({ CommonName: ['x'.repeat(1025)] }), 'IMPLICIT_DENY'],
    ['topic/cn/${iot:Certificate.Subject.CommonName}', `cn/${'x'.repeat(1024)}`, cert({ CommonName: ['x'.repeat(1024)] }), 'ALLOWED'],
    ['topic/ou/${iot:Certificate.Subject.OrganizationalUnit.1}', 'ou/ok', cert({ OrganizationalUnit: ['b+d', 'ok'] }), 'ALLOWED'], // a skipped value keeps positions
    ['topic/c/${iot:Certificate.Issuer.Country}', 'c/US', { certificate: { issuer: { Country: ['US'] } } }, 'ALLOWED'],
    ['topic/dns/${iot:Certificate.Subject.AlternativeName.DNSName}', 'dns/a.example', { certificate: { subjectAltNames: { DNSName: ['a.example'] } } }, 'ALLOWED'],
  ])('%s on %s', (resource, topic, context, expected) => {
    expect(decision(onTopic(resource), 'iot:Publish', topic, context)).toBe(expected);
  });

  it('lists the keys that have values in iot:Certificate.AvailableKeys', () => {
    const bag = buildVariables(cert({ CommonName: ['a'], Country: ['*'] }, { id: 'f00' }));
    const keys = bag.list(parseVariableRef('iot:Certificate.AvailableKeys'));
    expect(keys).toEqual(['iot:Certificate.Subject.CommonName']);
  });

  it('caps multi-valued fields at 5 values', () => {
    const bag = buildVariables(cert({ OrganizationalUnit: ['1', '2', '3', '4', '5', '6'] }));
    expect(bag.list(parseVariableRef('iot:Certificate.Subject.OrganizationalUnit.List'))).toEqual(['1', '2', '3', '4', '5']);
  });

  it('reads a certificate into its facts the one way the broker and policy test share (pki/certificate-facts.ts)', async () => {
    const { createCertificateAuthority, issueCertificate } = await import('../../src/pki/ca.js');
    const { generateKeyPair } = await import('../../src/pki/keys.js');
    const { certificateFacts } = await import('../../src/pki/certificate-facts.js');
    const ca = await createCertificateAuthority({ subject: 'CN=Test CA, O=Acme' });
    const pem = await issueCertificate(ca, { publicKey: (await generateKeyPair()).publicKey, subject: 'C=US, O=Acme, OU=eng, OU=ops, CN=dev1', profile: 'server', hosts: ['a.example', '10.0.0.1'], serialNumber: '0a1b2c' });
    const facts = certificateFacts(pem);
    expect(facts.subject).toEqual({ Country: ['US'], Organization: ['Acme'], OrganizationalUnit: ['eng', 'ops'], CommonName: ['dev1'] });
    expect(facts.issuer).toEqual({ Organization: ['Acme'], CommonName: ['Test CA'] });
    expect(facts.subjectAltNames).toEqual({ DNSName: ['a.example'], IPAddress: ['10.0.0.1'] });
    expect(facts.serialNumber).toBe('0a1b2c');
    expect(facts.id).toMatch(/^[0-9a-f]{64}$/);
    const bag = buildVariables({ certificate: facts });
    expect(bag.list(parseVariableRef('iot:Certificate.Subject.OrganizationalUnit.List'))).toEqual(['eng', 'ops']);
  });
});

describe('template parsing and the variable bag', () => {
  it('splits text, escapes and references', () => {
    expect(parseTemplate('a/${iot:ClientId}/${*}/b*')).toEqual([
      { glob: 'a/' },
      { ref: { name: 'iot:ClientId', key: 'iot:clientid', select: 0 } },
      { glob: '/' },
      { literal: '*' },
      { glob: '/b*' },
    ]);
    expect(parseTemplate('unclosed ${iot:ClientId')).toEqual([{ glob: 'unclosed ${iot:ClientId' }]);
    expect(parseTemplate('a/${x}', false)).toEqual([{ glob: 'a/${x}' }]);
  });

  it('parses selectors and defaults', () => {
    expect(parseVariableRef('iot:Certificate.Subject.OrganizationalUnit.List')).toMatchObject({ key: 'iot:certificate.subject.organizationalunit', select: 'list' });
    expect(parseVariableRef('iot:Certificate.Subject.OrganizationalUnit.1')).toMatchObject({ select: 1 });
    expect(parseVariableRef("aws:username, 'guest'")).toMatchObject({ name: 'aws:username', fallback: 'guest' });
    expect(parseVariableRef('iot:Connection.Thing.Attributes[Floor]').key).toBe('iot:connection.thing.attributes[Floor]');
  });

  it('--var style extra variables win over computed ones', () => {
    const bag = buildVariables({ clientId: 'a', variables: { 'IOT:CLIENTID': 'b' } });
    expect(bag.value(parseVariableRef('iot:ClientId'))).toBe('b');
  });

  it('a bag that changes is re-resolved (per-connection memo)', async () => {
    const { compilePolicy, isAllowed, resourceForAction } = await import('../../src/core/policy/index.js');
    const compiled = [compilePolicy(policy('m', allow('iot:Publish', anyArn('topic/c/${iot:ClientId}'))))];
    const bag = buildVariables({ clientId: 'one' });
    const req = (t: string) => ({ action: 'iot:Publish', resource: resourceForAction('iot:Publish', t) });
    expect(isAllowed(compiled, req('c/one'), bag)).toBe(true);
    bag.set('iot:ClientId', 'two');
    expect(isAllowed(compiled, req('c/one'), bag)).toBe(false);
    expect(isAllowed(compiled, req('c/two'), bag)).toBe(true);
  });

  it('an empty list is no value', () => {
    const bag = new VariableBag().set('k', []);
    expect(bag.has('k')).toBe(false);
  });
});
