import { describe, expect, it } from 'vitest';
import { clampKeepAlive, clientIdProblem, isUndeliverable, mayRetain, payloadProblem, publishTopicProblem, stripUsernameMetadata, subscribeFilterProblem } from '../../src/emulator/broker/limits.js';

describe('AWS IoT limits for the broker', () => {
  it.each([
    [0, 1200],
    [1, 30],
    [29, 30],
    [30, 30],
    [60, 60],
    [1200, 1200],
    [1201, 1200],
    [65535, 1200],
  ])('keep-alive %i s becomes %i s', (given, expected) => expect(clampKeepAlive(given)).toBe(expected));

  it.each([
    ['thing1', 'thing1'],
    ['thing1?SDK=IoTDeviceSDK/JS&Platform=Unix', 'thing1'],
    ['?SDK=IoTDeviceSDK/JS', ''],
    ['?', ''],
    ['a?x=1&SDK=y', 'a'],
  ])('username %j is %j without the SDK metrics', (given, expected) => expect(stripUsernameMetadata(given)).toBe(expected));

  it('client ids: 1-128 bytes', () => {
    expect(clientIdProblem('x'.repeat(128))).toBeUndefined();
    expect(clientIdProblem('x'.repeat(129))).toMatch(/129 bytes/);
    expect(clientIdProblem('é'.repeat(65))).toMatch(/130 bytes/);
    expect(clientIdProblem('')).toMatch(/empty/);
  });

  it.each([
    ['a/b', undefined],
    ['$aws/things/t/shadow/update', undefined],
    ['$aws/rules/r/a/b/c/d/e/f/g', undefined],
    ['a/b/c/d/e/f/g/h/i', /at most 7/],
    ['x'.repeat(257), /at most 256 bytes/],
    ['a/+/b', /wildcard/],
    ['$SYS/broker', /reserved/],
    ['$other', /reserved/],
    ['$aws/events/presence/connected/c1', /clients may subscribe to it, not publish/],
    // The Device Shadow's requests are for clients; its answers are the service's alone.
    ['$aws/things/t/shadow/name/config/get', undefined],
    ['$aws/things/t/shadow/delete', undefined],
    ['$aws/things/t/shadow/update/delta', /Device Shadow service answers; clients may subscribe to it, not publish/],
    ['$aws/things/t/shadow/name/config/get/accepted', /Device Shadow service answers/],
    ['$aws/things/t/shadow/delete/rejected', /Device Shadow service answers/],
    ['$aws/things/t/shadow/get/delta', undefined],
  ])('publish topic %j', (topic, problem) => {
    const p = publishTopicProblem(topic);
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeUndefined();
  });

  it.each([
    ['a/#', undefined],
    ['+/b', undefined],
    ['$aws/things/+/shadow/#', undefined],
    ['a/#/b', /last level/],
    ['$share/g/a/b', undefined],
    ['$share/g/$aws/events/#', undefined],
    ['$share/g/$SYS/#', /reserved/],
    ['$share/g', /\$share\/<name>\/<filter>/],
    ['$share/a+b/x', /\$share\/<name>\/<filter>/],
    ['$SYS/#', /reserved/],
  ])('subscribe filter %j', (filter, problem) => {
    const p = subscribeFilterProblem(filter);
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeUndefined();
  });

  it('payloads up to 128 KB; no RETAIN on $ topics; $SYS and Basic Ingest are never delivered', () => {
    expect(payloadProblem(Buffer.alloc(131072))).toBeUndefined();
    expect(payloadProblem(Buffer.alloc(131073))).toMatch(/131073 bytes/);
    expect(mayRetain('a/b')).toBe(true);
    expect(mayRetain('$aws/things/x/shadow/update')).toBe(false);
    expect(isUndeliverable('$SYS/x/new/clients')).toBe(true);
    expect(isUndeliverable('$aws/rules/r/t')).toBe(true);
    expect(isUndeliverable('$aws/things/x/shadow/update')).toBe(false);
    expect(isUndeliverable('a/b')).toBe(false);
  });
});
