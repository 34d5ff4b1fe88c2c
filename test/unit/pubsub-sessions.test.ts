/**
 * runPub, runSub and runTail over a fake session: the order messages go out
 * and come in, the window that bounds what is in flight, how a broker's
 * refusal becomes the exit code, and how tail reconnects.
 */
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExitCode, IotctlError } from '../../src/core/errors.js';
import { runPub, windowFor, type PubPlan } from '../../src/messaging/publish.js';
import { runSub, runTail, type TailState } from '../../src/messaging/subscribe.js';
import { LineWriter } from '../../src/messaging/writer.js';
import type { MqttSession } from '../../src/mqtt/types.js';
import { FakeSession, connectionLost, denied, until } from '../helpers/fake-session.js';

const lines = (n: number) => Readable.from([Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('')]);

function plan(overrides: Partial<PubPlan> = {}): PubPlan {
  return { topic: 't/1', qos: 1, retain: false, source: { kind: 'lines', input: lines(10) }, template: false, repeat: 1, intervalMs: 0, ...overrides };
}

const text = (session: FakeSession) => session.sent.map((m) => Buffer.from(m.payload).toString());

describe('runPub', () => {
  it('publishes every line, in order, and counts the acknowledgements', async () => {
    const session = new FakeSession();
    const result = await runPub(plan({ source: { kind: 'lines', input: lines(1000) } }), { session, signal: new AbortController().signal });
    expect(text(session)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i + 1)));
    expect(session.sent.every((m) => m.topic === 't/1' && m.qos === 1)).toBe(true);
    expect(result).toMatchObject({ published: 1000, acknowledged: 1000, unacknowledged: 0, interrupted: false });
  });

  it('keeps at most a window of QoS 1 messages unacknowledged, and finishes only when the last one is', async () => {
    const session = new FakeSession({ autoAck: false });
    const window = windowFor(session.info.endpoint, 1);
    let finished = false;
    const run = runPub(plan({ source: { kind: 'lines', input: lines(1000) } }), { session, signal: new AbortController().signal }).finally(() => (finished = true));
    await until(() => session.inFlight === window);
    // The broker is silent: however long the reader runs, nothing more goes out.
    for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(session.sent).toHaveLength(window);
    // The broker answers a little at a time: each answer lets one more out.
    while (!finished) {
      session.ack(50);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const result = await run;
    expect(session.maxInFlight).toBe(window);
    expect(result).toMatchObject({ published: 1000, acknowledged: 1000 });
  });

  it('a refused message ends the run with the refusal (exit 3, its hint) and says how many were not acknowledged', async () => {
    const session = new FakeSession({ refuse: (_m, i) => (i === 2 ? denied('Publishing to t/1') : undefined) });
    const error = await runPub(plan({ source: { kind: 'single', payload: Buffer.from('x') }, repeat: 5 }), { session, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IotctlError);
    expect(error).toMatchObject({ code: 'NOT_AUTHORIZED', exitCode: ExitCode.DENIED, hint: 'iotctl policy test ...' });
    expect((error as IotctlError).message).toMatch(/^Publishing to t\/1 was denied by the policy\. 1 of 3 messages was not acknowledged\.$/);
    expect((error as IotctlError).details).toMatchObject({ published: 3, acknowledged: 2, unacknowledged: 1 });
    expect(session.sent).toHaveLength(3);
  });

  it('a connection lost mid-stream fails what was in flight: exit 5, with the counts', async () => {
    const session = new FakeSession({ autoAck: false });
    const run = runPub(plan({ source: { kind: 'lines', input: lines(100) } }), { session, signal: new AbortController().signal });
    await until(() => session.inFlight === 100);
    session.ack(40);
    session.lose();
    const error = (await run.catch((e: unknown) => e)) as IotctlError;
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', exitCode: ExitCode.CONNECTION, details: { published: 100, acknowledged: 40, unacknowledged: 60 } });
  });

  it('Ctrl-C stops reading the input and returns what was done, without an error', async () => {
    const session = new FakeSession();
    const input = new PassThrough();
    const controller = new AbortController();
    const run = runPub(plan({ source: { kind: 'lines', input } }), { session, signal: controller.signal });
    input.write('a\nb\n');
    await until(() => session.sent.length === 2);
    controller.abort('SIGINT');
    const result = await run;
    expect(result).toMatchObject({ published: 2, acknowledged: 2, interrupted: true });
    expect(input.destroyed).toBe(true);
  });

  it('--repeat counts {{seq}} in the payload', async () => {
    const session = new FakeSession();
    await runPub(plan({ source: { kind: 'single', payload: Buffer.from('n={{seq}}') }, template: true, repeat: 3 }), { session, signal: new AbortController().signal });
    expect(text(session)).toEqual(['n=1', 'n=2', 'n=3']);
  });

  it('QoS 0 on MQTT 3.1.1 waits for the broker every 5,000 messages and at the end', async () => {
    const session = new FakeSession();
    const result = await runPub(plan({ qos: 0, source: { kind: 'lines', input: lines(12_000) } }), { session, signal: new AbortController().signal });
    expect(result.published).toBe(12_000);
    expect(session.flushes).toBe(3);
  });

  it('an input that fails is reported after the acknowledgements, as INPUT_FAILED', async () => {
    const session = new FakeSession();
    const input = Readable.from(
      (async function* () {
        yield 'one\n';
        throw new Error('disk on fire');
      })(),
    );
    const error = await runPub(plan({ source: { kind: 'lines', input } }), { session, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INPUT_FAILED', message: expect.stringContaining('disk on fire') });
    expect(text(session)).toEqual(['one']);
  });
});

/** What sub and tail print, in one string (one line per message). */
function capture(): { writer: LineWriter; printed: () => string[] } {
  let out = '';
  const writer = new LineWriter({ write: (chunk) => (out += String(chunk)) });
  return { writer, printed: () => out.split('\n').filter(Boolean) };
}

const render = (m: { topic: string; payload: Buffer }) => `${m.topic} ${m.payload.toString()}\n`;

describe('runSub', () => {
  function sub(session: FakeSession, signal = new AbortController().signal, warnings: string[] = []) {
    const { writer, printed } = capture();
    return { printed, deps: { connect: async () => session as MqttSession, signal, render, writer, warn: (m: string) => void warnings.push(m) } };
  }

  it('prints messages in the order they arrive and stops at --count, ignoring the ones already on their way', async () => {
    const session = new FakeSession();
    const { deps, printed } = sub(session);
    const run = runSub({ filters: ['a/#', 'b/+'], qos: 1, count: 3 }, deps);
    await until(() => session.subscriptions.length === 2);
    for (const n of [1, 2, 3, 4, 5]) session.deliver(`a/${n}`, `m${n}`);
    expect(await run).toEqual({ received: 3, exitCode: ExitCode.OK });
    expect(printed()).toEqual(['a/1 m1', 'a/2 m2', 'a/3 m3']);
    expect(session.subscriptions).toEqual([
      { filter: 'a/#', qos: 1 },
      { filter: 'b/+', qos: 1 },
    ]);
    expect(session.disconnected).toBe(true);
  });

  it('a refused SUBSCRIBE is the command’s error (exit 3), and the session is closed', async () => {
    const session = new FakeSession({ grant: (filter) => (filter === 'secret/#' ? denied('Subscribing to secret/#') : 0) });
    const { deps } = sub(session);
    await expect(runSub({ filters: ['open/#', 'secret/#'], qos: 0 }, deps)).rejects.toMatchObject({ exitCode: ExitCode.DENIED, message: expect.stringContaining('secret/#') });
    expect(session.disconnected).toBe(true);
  });

  it('warns when the broker grants less than the QoS asked for', async () => {
    const warnings: string[] = [];
    const session = new FakeSession({ grant: () => 0 });
    const { deps } = sub(session, new AbortController().signal, warnings);
    expect(await runSub({ filters: ['x'], qos: 1, count: 0 }, deps)).toEqual({ received: 0, exitCode: ExitCode.OK });
    expect(warnings).toEqual(['the broker granted QoS 0 for "x" (asked for 1)']);
  });

  it('a lost connection is the error; Ctrl-C is exit 130; --timeout is exit 6 with what arrived', async () => {
    const lost = new FakeSession();
    const running = runSub({ filters: ['x'], qos: 0 }, sub(lost).deps);
    await until(() => lost.subscriptions.length === 1);
    lost.lose();
    await expect(running).rejects.toMatchObject({ code: 'CONNECTION_LOST' });

    const controller = new AbortController();
    const interrupted = new FakeSession();
    const waiting = runSub({ filters: ['x'], qos: 0 }, sub(interrupted, controller.signal).deps);
    await until(() => interrupted.subscriptions.length === 1);
    controller.abort('SIGINT');
    expect(await waiting).toEqual({ received: 0, exitCode: ExitCode.INTERRUPTED });

    const slow = new FakeSession();
    const timed = runSub({ filters: ['x'], qos: 0, count: 2, timeoutMs: 20 }, sub(slow).deps);
    await until(() => slow.subscriptions.length === 1);
    slow.deliver('x', 'only one');
    expect(await timed).toEqual({ received: 1, exitCode: ExitCode.TIMEOUT });
  });
});

describe('runTail', () => {
  /** tail over a queue of sessions: each connect takes the next (or fails with the error in its place). */
  function tail(sessions: (FakeSession | IotctlError)[], signal: AbortSignal) {
    const { writer, printed } = capture();
    const states: TailState['kind'][] = [];
    let connects = 0;
    const deps = {
      connect: async () => {
        const next = sessions[connects++];
        if (!next) throw new Error('no more sessions');
        if (next instanceof IotctlError) throw next;
        return next as MqttSession;
      },
      signal,
      render,
      writer,
      warn: () => {},
      status: (s: TailState) => void states.push(s.kind),
      counted: () => {},
      backoff: { baseMs: 2, maxMs: 2, random: () => 0 },
    };
    return { deps, printed, states, connects: () => connects };
  }

  it('follows until Ctrl-C: reconnects after a lost connection, resubscribes, and prints from both in order', async () => {
    const controller = new AbortController();
    const first = new FakeSession();
    const second = new FakeSession();
    const t = tail([first, second], controller.signal);
    const run = runTail({ filters: ['dt/#'], qos: 1 }, t.deps);
    await until(() => first.subscriptions.length === 1);
    first.deliver('dt/1', 'before');
    first.lose();
    await until(() => second.subscriptions.length === 1);
    second.deliver('dt/2', 'after');
    await until(() => t.printed().length === 2);
    controller.abort('SIGINT');
    expect(await run).toBe(ExitCode.INTERRUPTED);
    expect(t.printed()).toEqual(['dt/1 before', 'dt/2 after']);
    expect(second.subscriptions).toEqual([{ filter: 'dt/#', qos: 1 }]);
    expect(t.states).toEqual(['connecting', 'connected', 'reconnecting', 'connecting', 'connected']);
    expect([first.disconnected, second.disconnected]).toEqual([true, true]);
  });

  it('retries network trouble before the first connection, but not a denial or bad input', async () => {
    const retried = tail([connectionFailed(), connectionFailed(), new FakeSession()], new AbortController().signal);
    const controller = new AbortController();
    retried.deps.signal = controller.signal;
    const run = runTail({ filters: ['x'], qos: 0 }, retried.deps);
    await until(() => retried.connects() === 3 && retried.states.includes('connected'));
    controller.abort('SIGINT');
    expect(await run).toBe(ExitCode.INTERRUPTED);

    const refused = new FakeSession({ grant: () => denied('Subscribing to x') });
    const deniedTail = tail([refused, new FakeSession()], new AbortController().signal);
    await expect(runTail({ filters: ['x'], qos: 0 }, deniedTail.deps)).rejects.toMatchObject({ exitCode: ExitCode.DENIED });
    expect(deniedTail.connects()).toBe(1);

    const usage = tail([new IotctlError('BAD_CERT', 'not a certificate', { exitCode: ExitCode.USAGE })], new AbortController().signal);
    await expect(runTail({ filters: ['x'], qos: 0 }, usage.deps)).rejects.toMatchObject({ code: 'BAD_CERT' });
    expect(usage.connects()).toBe(1);
  });

  it('gives up when another client takes its client id (exit 5, with a hint)', async () => {
    const session = new FakeSession();
    const t = tail([session, new FakeSession()], new AbortController().signal);
    const run = runTail({ filters: ['x'], qos: 0 }, t.deps);
    await until(() => session.subscriptions.length === 1);
    session.lose(new IotctlError('DISCONNECTED', 'The server disconnected.', { exitCode: ExitCode.CONNECTION, details: { reasonCode: 0x8e } }));
    await expect(run).rejects.toMatchObject({ code: 'SESSION_TAKEN_OVER', exitCode: ExitCode.CONNECTION, hint: expect.stringContaining('--client-id') });
    expect(t.connects()).toBe(1);
  });
});

function connectionFailed(): IotctlError {
  return new IotctlError('CONNECTION_FAILED', 'Cannot connect.', { exitCode: ExitCode.CONNECTION });
}
