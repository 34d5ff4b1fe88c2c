import { describe, expect, it } from 'vitest';
import { mapBounded, numberedThings, parseFleetCsv } from '../../src/identity/fleet.js';
import { buildSubject } from '../../src/identity/subject.js';
import { keyFormatFrom, keySpecFrom } from '../../src/identity/keys.js';
import { checkName, THING_NAME, POLICY_NAME, ATTRIBUTE_VALUE } from '../../src/core/names.js';
import { certificateIdOf } from '../../src/core/aws-ids.js';

describe('fleet names', () => {
  it('numbers things with zero padding so they sort', () => {
    expect(numberedThings('pi-', 3).map((t) => t.thingName)).toEqual(['pi-01', 'pi-02', 'pi-03']);
    expect(numberedThings('d', 100)[99]!.thingName).toBe('d100');
    expect(numberedThings('d', 100)[0]!.thingName).toBe('d001');
  });

  it('reads a CSV: thingName column, other columns as attributes, quotes allowed', () => {
    const csv = 'room,thingName,floor\r\nkitchen,pi01,1\n"hall, north",pi02,\n\n';
    expect(parseFleetCsv(csv, 'things.csv')).toEqual([
      { thingName: 'pi01', attributes: { room: 'kitchen', floor: '1' } },
      { thingName: 'pi02', attributes: { room: 'hall, north' } },
    ]);
  });

  it.each([
    ['thingName\n', /has no things/],
    ['thingName\nbad name\n', /line 2: The thing name "bad name" has characters/],
    ['thingName\npi01\npi01\n', /line 3: the thing pi01 appears twice/],
  ])('refuses a bad CSV before anything is created: %j', (csv, message) => {
    expect(() => parseFleetCsv(csv, 'f.csv')).toThrow(message);
  });

  it('runs work with bounded concurrency and keeps the order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});

describe('subjects', () => {
  it.each([
    ['pi01', undefined, 'CN=pi01'],
    ['pi01', 'O=Acme,C=US', 'CN=pi01, O=Acme, C=US'],
    ['pi01', 'o=Acme\\, Inc', 'CN=pi01, O=Acme\\, Inc'],
    ['a+b', undefined, 'CN=a\\+b'],
  ])('%s %s -> %s', (cn, extra, expected) => {
    expect(buildSubject(cn, extra)).toBe(expected);
  });
  it.each([
    ['', undefined, /common name/],
    ['pi', 'CN=x', /--cn/],
    ['pi', 'X=1', /not a known subject field/],
    ['pi', 'C=Germany', /two-letter/],
  ])('refuses %j %j', (cn, extra, message) => {
    expect(() => buildSubject(cn, extra)).toThrow(message);
  });
});

describe('key options', () => {
  it.each([
    [{}, { type: 'ec', curve: 'P-256' }],
    [{ keyType: 'RSA' }, { type: 'rsa', bits: 2048 }],
    [{ keyType: 'rsa', bits: '4096' }, { type: 'rsa', bits: 4096 }],
    [{ curve: 'p-384' }, { type: 'ec', curve: 'P-384' }],
  ])('%j -> %j', (options, spec) => {
    expect(keySpecFrom(options)).toEqual(spec);
  });
  it('matches formats to key types', () => {
    expect(keyFormatFrom({ format: 'sec1' }, { type: 'ec', curve: 'P-256' })).toBe('sec1');
    expect(() => keyFormatFrom({ format: 'sec1' }, { type: 'rsa', bits: 2048 })).toThrow(/EC keys only/);
    expect(() => keySpecFrom({ keyType: 'ec', bits: '2048' })).toThrow(/--bits applies to RSA/);
  });
});

describe('AWS names', () => {
  it.each([
    [THING_NAME, 'pi01', true],
    [THING_NAME, 'pi:01_a-b', true],
    [THING_NAME, 'pi 01', false],
    [THING_NAME, 'x'.repeat(128), true],
    [THING_NAME, 'x'.repeat(129), false],
    [THING_NAME, '', false],
    [POLICY_NAME, 'iotctl-home-123_aws_ave', true],
    [POLICY_NAME, 'a+b=c,d.e@f', true],
    [POLICY_NAME, 'a/b', false],
    [ATTRIBUTE_VALUE, '', true],
    [ATTRIBUTE_VALUE, 'a b', false],
  ])('%o %j valid: %s', (rule, value, ok) => {
    expect(checkName(rule, value) === undefined).toBe(ok);
  });
  it('takes certificate ids from ids and ARNs', () => {
    const id = 'a'.repeat(64);
    expect(certificateIdOf(id)).toBe(id);
    expect(certificateIdOf(`arn:aws:iot:us-east-1:123456789012:cert/${id}`)).toBe(id);
    expect(certificateIdOf('A'.repeat(64))).toBeUndefined();
    expect(certificateIdOf('arn:aws:iot:us-east-1:123456789012:thing/x')).toBeUndefined();
  });
});

describe('key=value flags: one parser, one error code, everywhere', () => {
  it('splits at the first =, keeps later keys, and refuses a pair without a key', async () => {
    const { parseKeyValues, parsePairs } = await import('../../src/core/parse.js');
    expect(parsePairs(['a=1', 'b=x=y'], '--attr')).toEqual([['a', '1'], ['b', 'x=y']]);
    expect(parseKeyValues(['a=1', 'a=2', '__proto__=p'], '--attr')).toEqual({ a: '2', ['__proto__']: 'p' });
    for (const bad of ['novalue', '=v']) expect(() => parsePairs([bad], '--param')).toThrow(expect.objectContaining({ code: 'INVALID_KEY_VALUE', exitCode: 2 }));
  });
});
