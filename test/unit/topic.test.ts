import { describe, expect, it } from 'vitest';
import { checkClientId, checkTopicFilter, checkTopicName, countedSlashes, topicMatches, utf8Length } from '../../src/core/topic.js';

const bytes = (n: number, ch = 'a') => ch.repeat(n);

describe('checkTopicName', () => {
  it.each([
    ['sensors/temp', undefined],
    ['a', undefined],
    ['/', undefined],
    ['a/b/c/d/e/f/g/h', undefined], // 7 slashes
    ['a/b/c/d/e/f/g/h/i', 'TOPIC_TOO_MANY_SLASHES'], // 8 slashes
    ['$aws/rules/myrule/a/b/c/d/e/f/g/h', undefined], // rules prefix exempt
    ['$aws/rules/myrule/a/b/c/d/e/f/g/h/i', 'TOPIC_TOO_MANY_SLASHES'],
    ['$aws/things/t1/shadow/name/s1/update/accepted', undefined],
    ['', 'TOPIC_EMPTY'],
    ['a/+/b', 'TOPIC_WILDCARD'],
    ['a/#', 'TOPIC_WILDCARD'],
    ['a+b', 'TOPIC_WILDCARD'],
    [bytes(256), undefined],
    [bytes(257), 'TOPIC_TOO_LONG'],
    [bytes(128, 'é'), undefined], // 2 bytes each = 256
    [bytes(129, 'é'), 'TOPIC_TOO_LONG'],
    [bytes(85, '温') + 'a', undefined], // 3 bytes each: 255 + 1 = 256
    [bytes(86, '温'), 'TOPIC_TOO_LONG'], // 258
    ['\u{1F600}'.repeat(64), undefined], // 4 bytes each = 256
    ['\u{1F600}'.repeat(65), 'TOPIC_TOO_LONG'],
    ['bad\u0000nul', 'TOPIC_INVALID_CHARACTER'],
    ['lone\ud800surrogate', 'TOPIC_INVALID_CHARACTER'],
    ['home/123_aws_ave/door_1/open', undefined],
  ])('%j -> %s', (topic, expected) => {
    expect(checkTopicName(topic)?.code).toBe(expected);
  });

  it('explains the limit in the message', () => {
    expect(checkTopicName(bytes(300))?.message).toMatch(/300 bytes.*256/);
    expect(checkTopicName('a/b/c/d/e/f/g/h/i')?.message).toMatch(/8 forward slashes.*7/);
  });
});

describe('checkTopicFilter', () => {
  it.each([
    ['#', undefined],
    ['+', undefined],
    ['a/#', undefined],
    ['a/+/c', undefined],
    ['+/+/+', undefined],
    ['a/b#', 'FILTER_HASH_POSITION'],
    ['a/#/c', 'FILTER_HASH_POSITION'],
    ['#/a', 'FILTER_HASH_POSITION'],
    ['a/b+', 'FILTER_PLUS_POSITION'],
    ['a/+b/c', 'FILTER_PLUS_POSITION'],
    ['', 'TOPIC_EMPTY'],
    ['a/b/c/d/e/f/g/#', undefined],
    ['a/b/c/d/e/f/g/h/#', 'TOPIC_TOO_MANY_SLASHES'],
    ['$share/group1/a/b', undefined],
    ['$share/group1/a/b/c/d/e/f/g/h', undefined], // the $share/<name>/ slashes do not count
    ['$share/group1/a/b/c/d/e/f/g/h/i', 'TOPIC_TOO_MANY_SLASHES'],
    ['$share//a', 'FILTER_BAD_SHARE'],
    ['$share/g+/a', 'FILTER_BAD_SHARE'],
    ['$share/group', 'FILTER_BAD_SHARE'],
    ['$share/g/a/#/b', 'FILTER_HASH_POSITION'],
    [bytes(257), 'TOPIC_TOO_LONG'],
    ['$aws/things/t1/shadow/#', undefined],
  ])('%j -> %s', (filter, expected) => {
    expect(checkTopicFilter(filter)?.code).toBe(expected);
  });
});

describe('checkClientId', () => {
  it.each([
    ['thing1', undefined],
    ['', 'CLIENT_ID_EMPTY'],
    [bytes(128), undefined],
    [bytes(129), 'CLIENT_ID_TOO_LONG'],
    [bytes(64, 'ü'), undefined],
    [bytes(65, 'ü'), 'CLIENT_ID_TOO_LONG'],
    ['a\u0000b', 'CLIENT_ID_INVALID_CHARACTER'],
  ])('%j -> %s', (id, expected) => {
    expect(checkClientId(id)?.code).toBe(expected);
  });
});

describe('topicMatches', () => {
  it.each([
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a/', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'a/', true],
    ['a/#', 'a', false], // AWS IoT: sensor/# does not match sensor
    ['#', 'anything/at/all', true],
    ['#', '$aws/things/x', false],
    ['+/things/x', '$aws/things/x', false],
    ['$aws/things/+/shadow/#', '$aws/things/t1/shadow/update', true],
    ['+/+', 'a/b', true],
    ['+/+', 'a', false],
    ['A/b', 'a/b', false], // case sensitive
    ['$share/g/a/+', 'a/b', true],
    ['home/123_aws_ave/#', 'home/123_aws_ave/door_1/open', true],
    ['home/123_aws_ave/#', 'home/456_iot_ln/door_1/open', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('can follow the MQTT spec for a/# matching a', () => {
    expect(topicMatches('a/#', 'a', { hashMatchesParent: true })).toBe(true);
  });
});

describe('helpers', () => {
  it('counts UTF-8 bytes', () => {
    expect(utf8Length('aé温\u{1F600}')).toBe(1 + 2 + 3 + 4);
    expect(utf8Length('\udc00')).toBeUndefined();
  });
  it('exempts the rules prefix from slash counting', () => {
    expect(countedSlashes('$aws/rules/r/a/b')).toBe(1);
    expect(countedSlashes('$aws/things/t/shadow')).toBe(3);
  });
});
