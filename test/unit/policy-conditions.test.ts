import { describe, expect, it } from 'vitest';
import { explain, type PolicyContext } from '../../src/core/policy/index.js';
import { allow, anyArn, check, decision, policy, request } from '../helpers/policy.js';

/** Allow iot:Publish on every topic under one condition block. */
const when = (condition: Record<string, Record<string, unknown>>) => [policy('p', allow('iot:Publish', anyArn('topic/*'), { Condition: condition }))];
const ous = (...values: string[]): PolicyContext => ({ certificate: { subject: { OrganizationalUnit: values } } });

describe('condition operators', () => {
  it.each<[string, Record<string, Record<string, unknown>>, PolicyContext, string]>([
    ['StringEquals match', { StringEquals: { 'iot:ClientId': 'dev1' } }, { clientId: 'dev1' }, 'ALLOWED'],
    ['StringEquals is case-sensitive', { StringEquals: { 'iot:ClientId': 'dev1' } }, { clientId: 'DEV1' }, 'IMPLICIT_DENY'],
    ['StringEquals values are ORed', { StringEquals: { 'iot:ClientId': ['a', 'dev1'] } }, { clientId: 'dev1' }, 'ALLOWED'],
    ['StringEquals has no wildcards', { StringEquals: { 'iot:ClientId': 'dev*' } }, { clientId: 'dev1' }, 'IMPLICIT_DENY'],
    ['StringEquals key names are case-insensitive', { StringEquals: { 'IOT:CLIENTID': 'dev1' } }, { clientId: 'dev1' }, 'ALLOWED'],
    ['StringEquals on a missing key', { StringEquals: { 'iot:ClientId': 'dev1' } }, {}, 'IMPLICIT_DENY'],
    ['StringNotEquals holds', { StringNotEquals: { 'iot:ClientId': ['a', 'b'] } }, { clientId: 'c' }, 'ALLOWED'],
    ['StringNotEquals fails', { StringNotEquals: { 'iot:ClientId': ['a', 'b'] } }, { clientId: 'b' }, 'IMPLICIT_DENY'],
    ['StringNotEquals on a missing key', { StringNotEquals: { 'iot:ClientId': 'a' } }, {}, 'IMPLICIT_DENY'],
    ['StringEqualsIgnoreCase', { StringEqualsIgnoreCase: { 'iot:ClientId': 'Dev1' } }, { clientId: 'dEV1' }, 'ALLOWED'],
    ['StringNotEqualsIgnoreCase', { StringNotEqualsIgnoreCase: { 'iot:ClientId': 'Dev1' } }, { clientId: 'dEV1' }, 'IMPLICIT_DENY'],
    ['StringLike *', { StringLike: { 'iot:ClientId': 'sensor-*' } }, { clientId: 'sensor-42' }, 'ALLOWED'],
    ['StringLike ?', { StringLike: { 'iot:ClientId': 'sensor-?' } }, { clientId: 'sensor-42' }, 'IMPLICIT_DENY'],
    ['StringNotLike', { StringNotLike: { 'iot:ClientId': 'admin-*' } }, { clientId: 'sensor-42' }, 'ALLOWED'],
    ['StringNotLike fails', { StringNotLike: { 'iot:ClientId': 'admin-*' } }, { clientId: 'admin-1' }, 'IMPLICIT_DENY'],
    ['StringEquals with a variable', { StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } }, { clientId: 'lamp', thing: { name: 'lamp' } }, 'ALLOWED'],
    ['StringEquals with a variable, other value', { StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } }, { clientId: 'x', thing: { name: 'lamp' } }, 'IMPLICIT_DENY'],
    ['StringLike with a variable prefix', { StringLike: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}-*' } }, { clientId: 'lamp-2', thing: { name: 'lamp' } }, 'ALLOWED'],
    ['StringNotEquals with an unresolved variable', { StringNotEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } }, { clientId: 'x' }, 'IMPLICIT_DENY'],
    ['Bool true', { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } }, { thing: { name: 't' } }, 'ALLOWED'],
    ['Bool JSON true', { Bool: { 'iot:Connection.Thing.IsAttached': true } }, { thing: { name: 't' } }, 'ALLOWED'],
    ['Bool without a thing', { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } }, {}, 'IMPLICIT_DENY'],
    ['Bool false without a thing', { Bool: { 'iot:Connection.Thing.IsAttached': 'false' } }, {}, 'ALLOWED'],
    ['IpAddress IPv4', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { sourceIp: '203.0.113.7' }, 'ALLOWED'],
    ['IpAddress outside', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { sourceIp: '198.51.100.7' }, 'IMPLICIT_DENY'],
    ['IpAddress IPv6', { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } }, { sourceIp: '2001:db8::5' }, 'ALLOWED'],
    ['IpAddress without a source ip', { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }, {}, 'IMPLICIT_DENY'],
    ['NotIpAddress', { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { sourceIp: '192.0.2.1' }, 'ALLOWED'],
    ['NotIpAddress inside', { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { sourceIp: '10.9.9.9' }, 'IMPLICIT_DENY'],
    ['ArnLike', { ArnLike: { 'x:arn': 'arn:aws:iot:*:*:thing/lamp-*' } }, { variables: { 'x:arn': 'arn:aws:iot:eu-west-1:123456789012:thing/lamp-1' } }, 'ALLOWED'],
    ['ArnLike checks segments apart', { ArnLike: { 'x:arn': 'arn:aws:iot:*:thing/x' } }, { variables: { 'x:arn': 'arn:aws:iot:eu-west-1:1:thing/x' } }, 'IMPLICIT_DENY'],
    ['ArnEquals also takes wildcards (IAM)', { ArnEquals: { 'x:arn': 'arn:aws:iot:*:123456789012:thing/*' } }, { variables: { 'x:arn': 'arn:aws:iot:us-east-1:123456789012:thing/t' } }, 'ALLOWED'],
    ['ArnNotLike', { ArnNotLike: { 'x:arn': 'arn:aws:iot:*:*:thing/admin*' } }, { variables: { 'x:arn': 'arn:aws:iot:us-east-1:1:thing/t' } }, 'ALLOWED'],
    ['ArnNotEquals fails', { ArnNotEquals: { 'x:arn': 'arn:aws:iot:*:*:thing/t' } }, { variables: { 'x:arn': 'arn:aws:iot:us-east-1:1:thing/t' } }, 'IMPLICIT_DENY'],
    ['Null true: key absent', { Null: { 'iot:Connection.Thing.ThingName': 'true' } }, {}, 'ALLOWED'],
    ['Null true: key present', { Null: { 'iot:Connection.Thing.ThingName': 'true' } }, { thing: { name: 't' } }, 'IMPLICIT_DENY'],
    ['Null false: key present', { Null: { 'iot:Connection.Thing.ThingName': 'false' } }, { thing: { name: 't' } }, 'ALLOWED'],
    ['Null false: key absent', { Null: { 'iot:Connection.Thing.ThingName': 'false' } }, {}, 'IMPLICIT_DENY'],
    ['NumericLessThan', { NumericLessThan: { 'x:n': 10 } }, { variables: { 'x:n': '9' } }, 'ALLOWED'],
    ['NumericLessThan fails', { NumericLessThan: { 'x:n': 10 } }, { variables: { 'x:n': '10' } }, 'IMPLICIT_DENY'],
    ['NumericGreaterThanEquals', { NumericGreaterThanEquals: { 'x:n': 10 } }, { variables: { 'x:n': '10' } }, 'ALLOWED'],
    ['Numeric with a non-number', { NumericEquals: { 'x:n': 1 } }, { variables: { 'x:n': 'one' } }, 'IMPLICIT_DENY'],
    ['IfExists: missing key passes', { StringEqualsIfExists: { 'iot:ClientId': 'dev1' } }, {}, 'ALLOWED'],
    ['IfExists: present key is checked', { StringEqualsIfExists: { 'iot:ClientId': 'dev1' } }, { clientId: 'dev2' }, 'IMPLICIT_DENY'],
    ['IfExists: present key matches', { StringLikeIfExists: { 'iot:ClientId': 'dev*' } }, { clientId: 'dev2' }, 'ALLOWED'],
    ['keys are ANDed', { StringEquals: { 'iot:ClientId': 'a', 'iot:Connection.Thing.ThingName': 't' } }, { clientId: 'a' }, 'IMPLICIT_DENY'],
    ['operators are ANDed', { StringEquals: { 'iot:ClientId': 'a' }, Bool: { 'iot:Connection.Thing.IsAttached': 'true' } }, { clientId: 'a', thing: { name: 't' } }, 'ALLOWED'],
    ['ForAnyValue with .List', { 'ForAnyValue:StringEquals': { 'iot:Certificate.Subject.OrganizationalUnit.List': 'ops' } }, ous('eng', 'ops'), 'ALLOWED'],
    ['ForAnyValue none match', { 'ForAnyValue:StringEquals': { 'iot:Certificate.Subject.OrganizationalUnit.List': 'hr' } }, ous('eng', 'ops'), 'IMPLICIT_DENY'],
    ['ForAnyValue on a missing key', { 'ForAnyValue:StringEquals': { 'iot:Certificate.Subject.OrganizationalUnit.List': 'hr' } }, {}, 'IMPLICIT_DENY'],
    ['ForAllValues all in the set', { 'ForAllValues:StringEquals': { 'iot:Certificate.Subject.OrganizationalUnit.List': ['eng', 'ops', 'qa'] } }, ous('eng', 'ops'), 'ALLOWED'],
    ['ForAllValues one outside', { 'ForAllValues:StringEquals': { 'iot:Certificate.Subject.OrganizationalUnit.List': ['eng'] } }, ous('eng', 'ops'), 'IMPLICIT_DENY'],
    ['ForAllValues on a missing key holds (IAM)', { 'ForAllValues:StringEquals': { 'iot:Certificate.Subject.OrganizationalUnit.List': ['eng'] } }, {}, 'ALLOWED'],
    ['ForAnyValue:StringLike', { 'ForAnyValue:StringLike': { 'iot:Certificate.Subject.OrganizationalUnit.List': 'op*' } }, ous('eng', 'ops'), 'ALLOWED'],
    ['ForAnyValue:StringNotEquals: one value differs', { 'ForAnyValue:StringNotEquals': { 'iot:Certificate.Subject.OrganizationalUnit.List': 'eng' } }, ous('eng', 'ops'), 'ALLOWED'],
    ['ForAllValues:StringNotEquals: one value equals', { 'ForAllValues:StringNotEquals': { 'iot:Certificate.Subject.OrganizationalUnit.List': 'eng' } }, ous('eng', 'ops'), 'IMPLICIT_DENY'],
    ['ForAnyValue skips values AWS does not substitute', { 'ForAnyValue:StringLike': { 'iot:Certificate.Subject.OrganizationalUnit.List': '*#*' } }, ous('a#b'), 'IMPLICIT_DENY'],
    ['plain key of a multi-valued field = first value', { StringEquals: { 'iot:Certificate.Subject.OrganizationalUnit': 'eng' } }, ous('eng', 'ops'), 'ALLOWED'],
    ['.1 of a multi-valued field = second value', { StringEquals: { 'iot:Certificate.Subject.OrganizationalUnit.1': 'ops' } }, ous('eng', 'ops'), 'ALLOWED'],
    ['ForAnyValue on iot:ConnectAttributes', { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': 'PersistentConnect' } }, { connectAttributes: ['LastWill', 'PersistentConnect'] }, 'ALLOWED'],
    ['ForAllValues:...IfExists', { 'ForAnyValue:StringEqualsIfExists': { 'iot:ConnectAttributes': 'x' } }, {}, 'ALLOWED'],
  ])('%s', (_name, condition, context, expected) => {
    expect(decision(when(condition), 'iot:Publish', 'a', context)).toBe(expected);
  });

  it('a Deny condition on a missing key does not apply (the Allow stands)', () => {
    const p = [policy('p', allow('iot:Publish', anyArn('topic/*')), { Effect: 'Deny', Action: 'iot:Publish', Resource: '*', Condition: { StringEquals: { 'iot:ClientId': 'bad' } } })];
    expect(decision(p, 'iot:Publish', 'x')).toBe('ALLOWED');
    expect(decision(p, 'iot:Publish', 'x', { clientId: 'bad' })).toBe('EXPLICIT_DENY');
  });

  it('records a missing condition key', () => {
    expect(check(when({ StringEquals: { 'iot:Connection.Thing.ThingTypeName': 'lamp' } }), 'iot:Publish', 'a').missingVariables).toEqual(['iot:Connection.Thing.ThingTypeName']);
  });

  it('records a missing variable in a condition value', () => {
    expect(check(when({ StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } }), 'iot:Publish', 'a', { clientId: 'c' }).missingVariables).toEqual(['iot:Connection.Thing.ThingName']);
  });

  it('explains which key and operator failed', () => {
    const p = when({ StringEquals: { 'iot:ClientId': 'dev1' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } });
    const [trace] = explain(p, request('iot:Publish', 'a'), { clientId: 'dev1', sourceIp: '192.0.2.1' }).trace;
    expect(trace!.conditions.matched).toBe(false);
    expect(trace!.conditions.entries.map((e) => [e.operator, e.key, e.matched])).toEqual([
      ['StringEquals', 'iot:ClientId', true],
      ['IpAddress', 'aws:SourceIp', false],
    ]);
    expect(trace!.conditions.entries[1]!.reason).toBe('aws:SourceIp is "192.0.2.1"; IpAddress "10.0.0.0/8" is false');
  });

  it('explains a missing key and IfExists', () => {
    const [a] = explain(when({ StringEquals: { 'iot:ClientId': 'x' } }), request('iot:Publish', 'a'), {}).trace;
    expect(a!.conditions.entries[0]!.reason).toBe('iot:ClientId has no value');
    const [b] = explain(when({ StringEqualsIfExists: { 'iot:ClientId': 'x' } }), request('iot:Publish', 'a'), {}).trace;
    expect(b!.conditions.entries[0]).toMatchObject({ matched: true, reason: 'iot:ClientId has no value (IfExists: the condition holds)' });
  });
});
