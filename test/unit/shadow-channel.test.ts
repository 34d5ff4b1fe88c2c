import { describe, expect, it } from 'vitest';
import { mqttChannel } from '../../src/shadow/channel.js';
import { FakeSession, until } from '../helpers/fake-session.js';

const tokenOf = (s: FakeSession) => (JSON.parse(s.sent[0]!.payload.toString()) as { clientToken: string }).clientToken;

describe('a shadow request over MQTT', () => {
  it("takes a refusal that comes before the request's PUBACK: exit 4 for a 404, no unhandled rejection", async () => {
    // The broker answers on get/rejected and only then acknowledges the PUBLISH (seen under load with the local IoT Core).
    const session = new FakeSession({ autoAck: false, info: { version: 5 } });
    const asked = mqttChannel(session, 5000).get({ thingName: 'lamp', shadowName: 'nothing' });
    await until(() => session.sent.length === 1);
    session.deliver('$aws/things/lamp/shadow/name/nothing/get/rejected', JSON.stringify({ code: 404, message: "No shadow exists with name: 'nothing'", clientToken: tokenOf(session) }));
    // Turns of the event loop in which an unhandled rejection would be reported (vitest fails the run on one).
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    session.ack();
    await expect(asked).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining('get/rejected 404') });
  });

  it('takes an answer that comes before the PUBACK', async () => {
    const session = new FakeSession({ autoAck: false, info: { version: 5 } });
    const asked = mqttChannel(session, 5000).get({ thingName: 'lamp' });
    await until(() => session.sent.length === 1);
    session.deliver('$aws/things/lamp/shadow/get/accepted', JSON.stringify({ state: { reported: { light: 'on' } }, version: 2, clientToken: tokenOf(session) }));
    session.ack();
    await expect(asked).resolves.toMatchObject({ version: 2 });
  });
});
