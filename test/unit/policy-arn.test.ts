import { describe, expect, it } from 'vitest';
import { iotArn, parseArn, resourceForAction, resourceTypeFor } from '../../src/core/policy/index.js';

const scope = { region: 'eu-west-1', account: '111122223333' };

describe('ARNs', () => {
  it.each([
    ['client', 'dev-1', 'arn:aws:iot:eu-west-1:111122223333:client/dev-1'],
    ['topic', 'a/b', 'arn:aws:iot:eu-west-1:111122223333:topic/a/b'],
    ['topicfilter', 'a/#', 'arn:aws:iot:eu-west-1:111122223333:topicfilter/a/#'],
    ['thing', 'lamp', 'arn:aws:iot:eu-west-1:111122223333:thing/lamp'],
    ['cert', 'ab12', 'arn:aws:iot:eu-west-1:111122223333:cert/ab12'],
    ['policy', 'p', 'arn:aws:iot:eu-west-1:111122223333:policy/p'],
  ] as const)('iotArn(%s, %s)', (type, name, arn) => {
    expect(iotArn(type, name, scope)).toBe(arn);
  });

  it('defaults region and account to *', () => {
    expect(iotArn('topic', 'x')).toBe('arn:aws:iot:*:*:topic/x');
  });

  it.each([
    ['iot:Connect', 'dev-1', 'client/dev-1'],
    ['iot:Publish', 'a/b', 'topic/a/b'],
    ['iot:publish', 'a/b', 'topic/a/b'],
    ['iot:Receive', 'a/b', 'topic/a/b'],
    ['iot:RetainPublish', 'a/b', 'topic/a/b'],
    ['iot:Subscribe', 'a/+/c', 'topicfilter/a/+/c'],
    ['iot:GetRetainedMessage', 'a', 'topic/a'],
    ['iot:UpdateThingShadow', 'lamp', 'thing/lamp'],
    ['iot:DeleteConnection', 'dev-1', 'client/dev-1'],
  ])('resourceForAction(%s, %s)', (action, target, suffix) => {
    expect(resourceForAction(action, target, scope)).toBe(`arn:aws:iot:eu-west-1:111122223333:${suffix}`);
  });

  it('takes a full ARN as is', () => {
    expect(resourceForAction('iot:Subscribe', 'arn:aws:iot:us-east-1:1:topic/odd', scope)).toBe('arn:aws:iot:us-east-1:1:topic/odd');
  });

  it('uses * for ListRetainedMessages', () => {
    expect(resourceForAction('iot:ListRetainedMessages', 'anything', scope)).toBe('*');
  });

  it('asks for an ARN when the action has no known resource type', () => {
    expect(() => resourceForAction('iot:CreateThing', 'x', scope)).toThrow('iotctl cannot tell which ARN "iot:CreateThing" is checked against.');
    expect(resourceTypeFor('iot:CreateThing')).toBeUndefined();
  });

  it('parses ARNs whose resource has colons', () => {
    expect(parseArn('arn:aws:iot:us-east-1:123456789012:topic/u/us-east-1:abc')).toEqual({
      partition: 'aws',
      service: 'iot',
      region: 'us-east-1',
      account: '123456789012',
      resource: 'topic/u/us-east-1:abc',
      type: 'topic',
      name: 'u/us-east-1:abc',
    });
    expect(parseArn('*')).toBeUndefined();
    expect(parseArn('arn:aws:iot')).toBeUndefined();
  });
});
