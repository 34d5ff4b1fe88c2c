/**
 * The Device Shadow's rules, table-driven from AWS's own examples (developer
 * guide: "Device Shadow service documents", "Interacting with shadows",
 * "Simulating Device Shadow service communications").
 */
import { describe, expect, it } from 'vitest';
import {
  applyUpdate,
  deleteDocument,
  deltaOf,
  errorDocument,
  getDocument,
  isShadowError,
  mergeSection,
  metadataOf,
  readClientToken,
  readUpdateRequest,
  type JsonObject,
  type ShadowError,
  type StoredShadow,
  type UpdateOutcome,
  type UpdateRequest,
} from '../../src/core/shadow/index.js';

const T0 = 1591140517;
const T1 = 1591141596;

const request = (doc: unknown): UpdateRequest => {
  const r = readUpdateRequest(Buffer.from(JSON.stringify(doc)));
  if (isShadowError(r as object)) throw new Error(`refused: ${JSON.stringify(r)}`);
  return r as UpdateRequest;
};

function update(current: StoredShadow | undefined, doc: unknown, timestamp = T1, lastVersion = 0): UpdateOutcome {
  const outcome = applyUpdate(current, lastVersion, request(doc), timestamp);
  if (isShadowError(outcome)) throw new Error(`refused: ${JSON.stringify(outcome)}`);
  return outcome as UpdateOutcome;
}

/** A shadow built by a series of updates, each at its own time. */
function build(...docs: [unknown, number][]): StoredShadow | undefined {
  let shadow: StoredShadow | undefined;
  for (const [doc, t] of docs) shadow = update(shadow, doc, t).shadow;
  return shadow;
}

describe('merging an update into a section', () => {
  it.each<[string, JsonObject, JsonObject, JsonObject | undefined]>([
    ['only the fields sent change', { color: 'RED', power: 'on' }, { color: 'GREEN' }, { color: 'GREEN', power: 'on' }],
    ['null deletes a key', { color: 'RED', engine: 'ON' }, { engine: null }, { color: 'RED' }],
    ['deleting the last key leaves nothing', { color: 'RED' }, { color: null }, undefined],
    ['objects merge key by key', { color: { r: 255, g: 255, b: 0 } }, { color: { r: 10 }, engine: 'ON' }, { color: { r: 10, g: 255, b: 0 }, engine: 'ON' }],
    ['arrays are replaced whole', { colors: ['RED', 'GREEN', 'BLUE'] }, { colors: ['RED'] }, { colors: ['RED'] }],
    ['an object emptied by null is gone', { lights: { color: 'red' }, on: true }, { lights: { color: null } }, { on: true }],
    ['an object replaces a value', { light: 'on' }, { light: { level: 3 } }, { light: { level: 3 } }],
    ['a value replaces an object', { light: { level: 3 } }, { light: 'off' }, { light: 'off' }],
    ['an empty object changes nothing', { a: 1 }, { a: {} }, { a: 1 }],
    ['null for a missing key is no change', { a: 1 }, { b: null }, { a: 1 }],
  ])('%s', (_title, current, patch, expected) => {
    const merged = mergeSection(current, metadataOf(current, T0) as JsonObject, patch, T1);
    expect(merged.value).toEqual(expected);
  });

  it('keeps the time of the fields not sent and stamps the ones sent', () => {
    const current = { color: { r: 255, g: 255, b: 0 }, name: 'lamp' };
    const merged = mergeSection(current, metadataOf(current, T0) as JsonObject, { color: { r: 10 } }, T1);
    expect(merged.metadata).toEqual({ color: { r: { timestamp: T1 }, g: { timestamp: T0 }, b: { timestamp: T0 } }, name: { timestamp: T0 } });
  });

  it('treats __proto__ as an ordinary key', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}') as JsonObject;
    const merged = mergeSection(undefined, undefined, patch, T1);
    expect(Object.keys(merged.value!)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(merged.value)).toBe('{"__proto__":{"polluted":true}}');
  });
});

describe('metadata', () => {
  it.each<[string, unknown, unknown]>([
    ['a leaf gets a timestamp', 'SmartLamp21', { timestamp: T0 }],
    ['an object mirrors its keys', { r: 255, g: 0 }, { r: { timestamp: T0 }, g: { timestamp: T0 } }],
    // AWS's example: "ColorRGB": [128, 128, 128] has one {"timestamp"} per element.
    ['each array element gets one', [128, 128, 128], [{ timestamp: T0 }, { timestamp: T0 }, { timestamp: T0 }]],
    ['objects inside arrays are mirrored', [{ a: 1 }], [{ a: { timestamp: T0 } }]],
    ['null (a deletion) gets a timestamp', null, { timestamp: T0 }],
  ])('%s', (_title, value, expected) => {
    expect(metadataOf(value as never, T0)).toEqual(expected);
  });
});

describe('delta', () => {
  it.each<[string, JsonObject | undefined, JsonObject | undefined, JsonObject | undefined]>([
    // The "Delta state" example of the developer guide.
    ['desired keys missing or different in reported', { color: 'RED', state: 'STOP' }, { color: 'GREEN', engine: 'ON' }, { color: 'RED', state: 'STOP' }],
    ['nested objects: the path down to what differs', { lights: { color: { r: 255, g: 255, b: 255 } } }, { lights: { color: { r: 255, g: 0, b: 255 } } }, { lights: { color: { g: 255 } } }],
    ['arrays are compared whole', { colors: ['RED', 'GREEN'] }, { colors: ['RED'] }, { colors: ['RED', 'GREEN'] }],
    ['equal arrays are in sync', { colors: ['RED'] }, { colors: ['RED'] }, undefined],
    ['reported-only keys are not in it', { light: 'on' }, { light: 'on', temp: 21 }, undefined],
    ['no desired, no delta', undefined, { light: 'on' }, undefined],
    ['no reported: all of desired', { light: 'on' }, undefined, { light: 'on' }],
    ['an object against a value', { light: { level: 3 } }, { light: 'off' }, { light: { level: 3 } }],
    ['numbers are compared as values', { level: 1 }, { level: 1.0 }, undefined],
  ])('%s', (_title, desired, reported, expected) => {
    expect(deltaOf(desired, reported, desired ? (metadataOf(desired, T0) as JsonObject) : undefined)?.state).toEqual(expected);
  });

  it("carries desired's metadata for the keys it holds", () => {
    const desired = { lights: { color: { r: 255, g: 255 } }, name: 'x' };
    const delta = deltaOf(desired, { lights: { color: { r: 255, g: 0 } }, name: 'x' }, metadataOf(desired, T0) as JsonObject);
    expect(delta?.metadata).toEqual({ lights: { color: { g: { timestamp: T0 } } } });
  });
});

describe('an update', () => {
  it("the developer guide's walk-through: versions, accepted, delta and documents", () => {
    // The device reports its state (AWS's simulation, shadow simShadow1).
    const first = update(undefined, { state: { reported: { ID: 'SmartLamp21', ColorRGB: [128, 128, 128] } }, clientToken: '426bfd96-e720-46d3-95cd-014e3ef12bb6' }, T0);
    expect(first.shadow.version).toBe(1);
    expect(first.delta).toBeUndefined();
    expect(first.documents).toEqual({
      previous: null,
      current: { state: { reported: { ID: 'SmartLamp21', ColorRGB: [128, 128, 128] } }, metadata: { reported: { ID: { timestamp: T0 }, ColorRGB: [{ timestamp: T0 }, { timestamp: T0 }, { timestamp: T0 }] } }, version: 1 },
      timestamp: T0,
      clientToken: '426bfd96-e720-46d3-95cd-014e3ef12bb6',
    });

    // The app asks for yellow: accepted holds only what was sent; the delta goes out.
    const second = update(first.shadow, { state: { desired: { ColorRGB: [255, 255, 0] } }, clientToken: '21b21b21-bfd2-4279-8c65-e2f697ff4fab' }, T1);
    const stamps = [{ timestamp: T1 }, { timestamp: T1 }, { timestamp: T1 }];
    expect(second.accepted).toEqual({ state: { desired: { ColorRGB: [255, 255, 0] } }, metadata: { desired: { ColorRGB: stamps } }, version: 2, timestamp: T1, clientToken: '21b21b21-bfd2-4279-8c65-e2f697ff4fab' });
    expect(second.delta).toEqual({ version: 2, timestamp: T1, state: { ColorRGB: [255, 255, 0] }, metadata: { ColorRGB: stamps }, clientToken: '21b21b21-bfd2-4279-8c65-e2f697ff4fab' });

    // The device reports yellow: in sync, no delta; documents has before and after.
    const T2 = T1 + 1151;
    const third = update(second.shadow, { state: { reported: { ColorRGB: [255, 255, 0] } } }, T2);
    expect(third.delta).toBeUndefined();
    expect(third.accepted).not.toHaveProperty('clientToken');
    expect(third.documents.previous).toEqual({ state: second.shadow.state, metadata: second.shadow.metadata, version: 2 });
    expect((third.documents.current as { state: unknown }).state).toEqual({ desired: { ColorRGB: [255, 255, 0] }, reported: { ID: 'SmartLamp21', ColorRGB: [255, 255, 0] } });
    expect(getDocument(third.shadow, T2 + 5)).toEqual({
      state: { desired: { ColorRGB: [255, 255, 0] }, reported: { ID: 'SmartLamp21', ColorRGB: [255, 255, 0] } },
      metadata: { desired: { ColorRGB: stamps }, reported: { ID: { timestamp: T0 }, ColorRGB: [{ timestamp: T2 }, { timestamp: T2 }, { timestamp: T2 }] } },
      version: 3,
      timestamp: T2 + 5,
    });
  });

  it('"desired": null removes the section; the get document then has no delta', () => {
    const shadow = build([{ state: { desired: { color: 'red' }, reported: { color: 'blue' } } }, T0]);
    expect(getDocument(shadow!, T0).state).toEqual({ desired: { color: 'red' }, reported: { color: 'blue' }, delta: { color: 'red' } });
    const after = update(shadow, { state: { reported: { color: 'red' }, desired: null } });
    expect(after.shadow.state).toEqual({ reported: { color: 'red' } });
    expect(after.shadow.metadata).toEqual({ reported: { color: { timestamp: T1 } } });
    expect(after.accepted.state).toEqual({ reported: { color: 'red' }, desired: null });
    expect(after.accepted.metadata).toEqual({ reported: { color: { timestamp: T1 } }, desired: { timestamp: T1 } });
    expect(getDocument(after.shadow, T1).state).toEqual({ reported: { color: 'red' } });
  });

  it('a report that differs from desired publishes the whole delta again', () => {
    const shadow = build([{ state: { desired: { light: 'on', level: 3 } } }, T0]);
    const report = update(shadow, { state: { reported: { light: 'off', level: 3 } } });
    expect(report.delta?.state).toEqual({ light: 'on' });
  });

  it.each<[string, StoredShadow | undefined, number, number, 'accepted' | 409]>([
    // The optimistic-locking example: at version 10, version 9 is refused and 10 accepted (then 11).
    ['a stale version', { state: { desired: { colors: ['RED'] } }, metadata: { desired: { colors: [{ timestamp: T0 }] } }, version: 10 }, 0, 9, 409],
    ['the current version', { state: { desired: { colors: ['RED'] } }, metadata: { desired: { colors: [{ timestamp: T0 }] } }, version: 10 }, 0, 10, 'accepted'],
    ['a version for a shadow that does not exist', undefined, 0, 3, 409],
    ['version 0 for a new shadow', undefined, 0, 0, 'accepted'],
    ["a deleted shadow's version", undefined, 7, 7, 'accepted'],
  ])('%s', (_title, current, lastVersion, version, expected) => {
    const outcome = applyUpdate(current, lastVersion, request({ state: { desired: { colors: ['BLUE'] } }, version, clientToken: 'tok' }), T1);
    if (expected === 409) expect(outcome).toEqual({ code: 409, message: 'Version conflict', clientToken: 'tok' });
    else expect((outcome as UpdateOutcome).shadow.version).toBe(version + 1);
  });

  it('a shadow re-created after a delete continues from its last version', () => {
    expect(update(undefined, { state: { reported: { a: 1 } } }, T1, 4).shadow.version).toBe(5);
  });

  it('"state": null empties the shadow but keeps it', () => {
    const shadow = build([{ state: { desired: { a: 1 }, reported: { a: 2 } } }, T0]);
    const after = update(shadow, { state: null });
    expect(after.shadow).toEqual({ state: {}, metadata: {}, version: 2 });
    expect(getDocument(after.shadow, T1)).toEqual({ state: {}, metadata: {}, version: 2, timestamp: T1 });
  });

  it('refuses a state over 8 KB (413), metadata not counted', () => {
    const big = 'x'.repeat(4000);
    const shadow = build([{ state: { desired: { a: big } } }, T0]);
    expect((applyUpdate(shadow, 0, request({ state: { reported: { a: big } } }), T1) as UpdateOutcome).shadow.version).toBe(2);
    const refused = applyUpdate(shadow, 0, request({ state: { reported: { a: big, b: 'y'.repeat(300) } }, clientToken: 'c' }), T1);
    expect(refused).toEqual({ code: 413, message: 'The payload exceeds the maximum size allowed', clientToken: 'c' });
  });
});

describe('reading a request', () => {
  const read = (text: string | Buffer) => readUpdateRequest(typeof text === 'string' ? Buffer.from(text) : text);
  it.each<[string, string | Buffer, Partial<ShadowError>]>([
    ['not JSON', '{"state":', { code: 400, message: 'Invalid JSON' }],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), { code: 415, message: 'Unsupported documented encoding; supported encoding is UTF-8' }],
    ['no state', '{"desired": {"a": 1}}', { code: 400, message: 'Missing required node: state' }],
    ['not an object', '[1]', { code: 400, message: 'Missing required node: state' }],
    ['state a string', '{"state": "on"}', { code: 400, message: 'State node must be an object' }],
    ['delta sent in state', '{"state": {"delta": {"a": 1}}}', { code: 400, message: 'State contains an invalid node' }],
    ['desired an array', '{"state": {"desired": [1]}}', { code: 400, message: 'Desired node must be an object' }],
    ['reported a number', '{"state": {"reported": 5}}', { code: 400, message: 'Reported node must be an object' }],
    ['version a string', '{"state": {}, "version": "3", "clientToken": "t"}', { code: 400, message: 'Invalid version', clientToken: 't' }],
    ['version negative', '{"state": {}, "version": -1}', { code: 400, message: 'Invalid version' }],
    ['version a fraction', '{"state": {}, "version": 1.5}', { code: 400, message: 'Invalid version' }],
    ['clientToken over 64 bytes', JSON.stringify({ state: {}, clientToken: 'x'.repeat(65) }), { code: 400, message: 'Invalid clientToken' }],
    ['clientToken a number', '{"state": {}, "clientToken": 5}', { code: 400, message: 'Invalid clientToken' }],
    ['7 levels of nesting', '{"state": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}}}', { code: 400, message: 'JSON contains too many levels of nesting; maximum is 6' }],
    ['null in an array', '{"state": {"desired": {"colors": [null, "RED", "GREEN"]}}}', { code: 400 }],
  ])('refuses %s', (_title, payload, expected) => {
    const r = read(payload);
    expect(r).toMatchObject(expected);
    if (expected.clientToken === undefined) expect(r).not.toHaveProperty('clientToken');
  });

  it.each([
    ['6 levels of nesting', '{"state": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}}'],
    ['an empty state', '{"state": {}}'],
    ['a 64-byte client token', JSON.stringify({ state: {}, clientToken: 'x'.repeat(64) })],
    ['unknown top-level fields', '{"state": {"reported": {"a": 1}}, "timestamp": 5}'],
  ])('accepts %s', (_title, payload) => {
    expect(isShadowError(read(payload) as object)).toBe(false);
  });

  it('refuses a document nested thousands of levels deep with a 400, without deep recursion', () => {
    const deep = `{"state":{"desired":{"a":${'['.repeat(60_000)}${']'.repeat(60_000)}}}}`;
    expect(read(deep)).toEqual({ code: 400, message: 'JSON contains too many levels of nesting; maximum is 6' });
  });

  it('takes the client token of get and delete requests, and ignores the rest of their payload', () => {
    expect(readClientToken(Buffer.alloc(0))).toBeUndefined();
    expect(readClientToken(Buffer.from('{"clientToken":"abc"}'))).toBe('abc');
    expect(readClientToken(Buffer.from('anything'))).toBeUndefined();
    expect(readClientToken(Buffer.from(JSON.stringify({ clientToken: 'x'.repeat(65) })))).toBeUndefined();
  });
});

describe('answer documents', () => {
  it("an error document as AWS publishes it; 404 carries no timestamp (AWS's own answer)", () => {
    expect(errorDocument({ code: 409, message: 'Version conflict', clientToken: 'c' }, T1)).toEqual({ code: 409, message: 'Version conflict', timestamp: T1, clientToken: 'c' });
    expect(JSON.stringify(errorDocument({ code: 404, message: "No shadow exists with name: 'lamp'" }, T1))).toBe(`{"code":404,"message":"No shadow exists with name: 'lamp'"}`);
  });

  it('a delete answers the version the shadow had', () => {
    expect(deleteDocument(4, 1591057529)).toEqual({ version: 4, timestamp: 1591057529 });
  });
});
