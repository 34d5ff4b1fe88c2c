/**
 * The pure parts of the HTTPS data plane: the router's greedy topic label and
 * its 405 lookup, and the MQTT 5 properties read from the query and headers.
 */
import { describe, expect, it } from 'vitest';
import { Router } from '../../src/emulator/http/router.js';
import { readProperties } from '../../src/emulator/data-plane/properties.js';

describe('router: a greedy last label', () => {
  const router = new Router([
    { method: 'POST', path: '/topics/{topic+}' },
    { method: 'GET', path: '/retainedMessage/{topic+}' },
    { method: 'GET', path: '/retainedMessage' },
    { method: 'GET', path: '/things/{thingName}/shadow' },
  ]);
  const topic = (method: string, path: string) => router.match(method, path)?.params.topic;

  it.each([
    ['/topics/a%2Fb%2Fc', 'a/b/c'],
    ['/topics/a/b/c', 'a/b/c'],
    ['/topics/a%2Fb/c', 'a/b/c'],
    ['/topics/a/', 'a/'],
    ['/topics/%24aws%2Fthings%2Fx', '$aws/things/x'],
    ['/topics/caf%C3%A9', 'café'],
  ])('%s is the topic %j', (path, expected) => {
    expect(topic('POST', path)).toBe(expected);
  });

  it('needs something after the prefix, and decodes or refuses', () => {
    expect(router.match('POST', '/topics/')).toBeUndefined();
    expect(router.match('POST', '/topics')).toBeUndefined();
    expect(() => router.match('POST', '/topics/%E0%A4%A')).toThrow(/not validly percent-encoded/);
  });

  it('keeps exact routes beside greedy ones, and says which methods a path has', () => {
    expect(router.match('GET', '/retainedMessage')?.route.path).toBe('/retainedMessage');
    expect(topic('GET', '/retainedMessage/a%2Fb')).toBe('a/b');
    expect(router.match('GET', '/things/lamp/shadow')?.params).toEqual({ thingName: 'lamp' });
    expect(router.methodsFor('/topics/a')).toEqual(['POST']);
    expect(router.methodsFor('/nope')).toEqual([]);
  });
});

describe('MQTT 5 properties of a Publish', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const read = (query: Record<string, string>, headers: Record<string, string> = {}, payload = Buffer.from('x')) => readProperties(new Map(Object.entries(query)), headers, payload);

  it('reads every property where botocore puts it', () => {
    const p = read(
      { contentType: 'application/json', responseTopic: 'reply/1', messageExpiry: '60' },
      {
        'x-amz-mqtt5-user-properties': b64('[{"deviceName": "alpha"}, {"deviceCnt": "45"}, {"deviceName": "beta"}]'),
        'x-amz-mqtt5-payload-format-indicator': 'UTF8_DATA',
        'x-amz-mqtt5-correlation-data': b64('c1'),
      },
    );
    expect(p).toEqual({
      contentType: 'application/json',
      responseTopic: 'reply/1',
      messageExpirySeconds: 60,
      userProperties: [
        ['deviceName', 'alpha'],
        ['deviceCnt', '45'],
        ['deviceName', 'beta'],
      ],
      payloadFormatUtf8: true,
      correlationData: Buffer.from('c1'),
    });
    expect(read({})).toBeUndefined();
    expect(read({ messageExpiry: '0' })).toEqual({ messageExpirySeconds: 1 });
  });

  it.each<[string, Record<string, string>, Record<string, string>, RegExp]>([
    ['user properties not base64', {}, { 'x-amz-mqtt5-user-properties': '[{"a":"1"}]' }, /must be base64/],
    ['user properties not an array', {}, { 'x-amz-mqtt5-user-properties': b64('{"a":"1"}') }, /JSON array of objects/],
    ['a user property that is not a string', {}, { 'x-amz-mqtt5-user-properties': b64('[{"a":1}]') }, /"a" must have a string value/],
    ['a payload format that does not exist', {}, { 'x-amz-mqtt5-payload-format-indicator': 'TEXT' }, /UTF8_DATA or UNSPECIFIED_BYTES/],
    ['correlation data not base64', {}, { 'x-amz-mqtt5-correlation-data': 'c1!' }, /must be base64/],
    ['a response topic with a wildcard', { responseTopic: 'reply/#' }, {}, /responseTopic is not a valid topic/],
    ['an expiry over 7 days', { messageExpiry: '604801' }, {}, /at most 604800/],
    ['an expiry that is not a number', { messageExpiry: '1m' }, {}, /whole number of seconds/],
  ])('refuses %s (400)', (_name, query, headers, message) => {
    expect(() => read(query, headers)).toThrow(message);
    try {
      read(query, headers);
    } catch (err) {
      expect((err as { code: string }).code).toBe('InvalidRequestException');
    }
  });
});
