import { describe, expect, it } from 'vitest';
import { compileGlob, compileWildcard, wildcardMatches } from '../../src/core/policy/wildcard.js';
import { cidrContains, parseCidr, parseIp } from '../../src/core/policy/ip.js';

describe('IAM wildcards', () => {
  it.each([
    // pattern, value, matches
    ['a/b', 'a/b', true],
    ['a/b', 'a/B', false], // case sensitive
    ['a/b', 'a/b/c', false],
    ['*', '', true],
    ['*', 'anything/at/all', true],
    ['a/*', 'a/', true], // * matches the empty run
    ['a/*', 'a/b/c/d', true], // * crosses slashes (not one MQTT level)
    ['a/*', 'a', false],
    ['*/b', 'x/y/b', true],
    ['a/*/c', 'a/b/c', true],
    ['a/*/c', 'a/b/x/c', true],
    ['a/*/c', 'a/c', false],
    ['*mid*', 'before-mid-after', true],
    ['*mid*', 'before-after', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false], // ? is exactly one character
    ['a?c', 'abbc', false],
    ['a/????/c', 'a/1234/c', true], // ???? pins a level of known width
    ['a/????/c', 'a/12/4/c', true], // ... but ? matches / too
    ['a/????/c', 'a/123/c', false],
    ['a?', 'a\u{1F600}', true], // ? is one code point
    ['a/+/c', 'a/+/c', true], // + is literal
    ['a/+/c', 'a/b/c', false],
    ['a/#', 'a/#', true], // # is literal
    ['a/#', 'a/b', false],
    ['x.y', 'xzy', false], // regex characters are literal
    ['(a)|[b]', '(a)|[b]', true],
    ['$aws/things/*', '$aws/things/t1/shadow/update', true],
    ['a-b*', 'a-b-c', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXcYYb', false],
    ['line*', 'line1\nline2', true], // * crosses newlines
    ['ab*ba', 'aba', false], // prefix and suffix may not overlap
    ['ab*ba', 'abba', true],
    ['a*a', 'a', false],
    ['*a*a*', 'aa', true],
    ['*ab*ab', 'abab', true],
    ['x*y*y', 'xyy', true],
    ['x*yz*yz', 'xyzyz', true],
    ['x*yz*yz', 'xyzy', false],
    ['arn:aws:iot:*:1:topic/p3/*', 'arn:aws:iot:us-east-1:1:topic/p30/x', false],
  ])('%j ~ %j: %s', (pattern, value, expected) => {
    expect(wildcardMatches(pattern, value)).toBe(expected);
  });

  it('treats literal pieces (substituted values, escapes) as plain text', () => {
    const m = compileGlob([{ glob: 'topic/' }, { literal: 'dev*1' }, { glob: '/*' }]);
    expect(m('topic/dev*1/x')).toBe(true);
    expect(m('topic/devXX1/x')).toBe(false);
    expect(compileGlob([{ literal: 'a?' }])('ab')).toBe(false);
    expect(compileGlob([{ literal: 'a?' }])('a?')).toBe(true);
  });

  it('collapses runs of stars', () => {
    expect(compileWildcard('a**b')('ab')).toBe(true);
    expect(compileWildcard('**')('')).toBe(true);
  });
});

describe('IP addresses and CIDR blocks', () => {
  it.each([
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.168.1.0/24', '192.168.1.255', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['192.168.1.7', '192.168.1.7', true], // bare address = /32
    ['192.168.1.7', '192.168.1.8', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['10.0.0.0/9', '10.127.0.1', true],
    ['10.0.0.0/9', '10.128.0.1', false],
    ['2001:db8::/32', '2001:db8:1::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::1', '::1', true],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['203.0.113.0/24', '::ffff:203.0.113.9', true], // IPv4-mapped (as Node reports peers)
    ['2001:db8::/32', '10.0.0.1', false], // families differ
  ])('%s contains %s: %s', (cidr, ip, expected) => {
    expect(cidrContains(parseCidr(cidr)!, parseIp(ip)!)).toBe(expected);
  });

  it.each(['10.0.0', '256.1.1.1', '01.2.3.4', '1.2.3.4/33', '2001:db8::/129', 'fe80:::1', '1:2:3:4:5:6:7:8:9', 'x.y.z.w', ''])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});
