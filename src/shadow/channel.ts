/**
 * The two ways to ask the Device Shadow service, behind one interface: its
 * REST API on the HTTPS data plane (the default of `iotctl shadow`), or its
 * reserved MQTT topics (`--mqtt`): subscribe to the request's `accepted` and
 * `rejected` topics, publish the request with a client token, and take the
 * first answer carrying that token. Either way an answer is AWS's document,
 * and a refusal an IotctlError (core/shadow/refusal.ts).
 */
import { randomUUID } from 'node:crypto';
import { ExitCode, IotctlError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { describeShadow, shadowRefusal, shadowTopic, type JsonObject, type ShadowOperation, type ShadowRef } from '../core/shadow/index.js';
import type { DataPlaneClient } from '../dataplane/client.js';
import type { IncomingMessage, MqttSession } from '../mqtt/types.js';

export interface ShadowChannel {
  /** The whole document (state with delta, metadata, version, timestamp). */
  get(ref: ShadowRef): Promise<JsonObject>;
  /** Sends a request document (`state`, and `version`, `clientToken` if any); the accepted document. */
  update(ref: ShadowRef, request: JsonObject): Promise<JsonObject>;
  /** `{version, timestamp}` of the deleted shadow. */
  delete(ref: ShadowRef): Promise<JsonObject>;
  close(): Promise<void>;
}

/** Over the REST API (GetThingShadow, UpdateThingShadow, DeleteThingShadow). */
export function httpChannel(client: DataPlaneClient): ShadowChannel {
  return {
    get: (ref) => client.getShadow(ref),
    update: (ref, request) => client.updateShadow(ref, Buffer.from(JSON.stringify(request)), typeof request.version === 'number' ? request.version : undefined),
    delete: (ref) => client.deleteShadow(ref),
    close: async () => client.close(),
  };
}

/**
 * Over the reserved topics of an open session; an answer that does not come
 * within `timeoutMs` is exit 6. `words`: the connection flags a printed hint repeats.
 */
export function mqttChannel(session: MqttSession, timeoutMs: number, words: string[] = []): ShadowChannel {
  const subscribed = new Set<string>();
  const waiting = new Map<string, { resolve(doc: JsonObject): void; reject(e: IotctlError): void; ref: ShadowRef; operation: ShadowOperation; version?: number }>();

  session.onMessage((m: IncomingMessage) => {
    let doc: JsonObject;
    try {
      doc = JSON.parse(m.payload.toString('utf8')) as JsonObject;
    } catch {
      return;
    }
    const token = typeof doc?.clientToken === 'string' ? doc.clientToken : undefined;
    const w = token === undefined ? undefined : waiting.get(token);
    if (!w || (m.topic !== shadowTopic(w.ref, w.operation, 'accepted') && m.topic !== shadowTopic(w.ref, w.operation, 'rejected'))) return;
    waiting.delete(token!);
    if (m.topic.endsWith('/accepted')) return w.resolve(doc);
    const status = typeof doc.code === 'number' ? doc.code : 0;
    const message = typeof doc.message === 'string' ? doc.message : 'rejected';
    const via = `${w.operation}/rejected ${status}`;
    w.reject(
      shadowRefusal({ status, message, ref: w.ref, operation: w.operation, via, version: w.version, words: [...words, '--mqtt'] }) ??
        new IotctlError('SHADOW_REJECTED', `The ${w.operation} of ${describeShadow(w.ref)} was rejected: ${via}: ${message}`, { exitCode: status === 401 || status === 403 ? ExitCode.DENIED : ExitCode.FAILURE }),
    );
  });
  session.onLost((e) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  });

  async function ask(ref: ShadowRef, operation: ShadowOperation, body: JsonObject): Promise<JsonObject> {
    // Answers are subscribed to before the request goes out, as AWS advises: otherwise the answer could come first.
    for (const answer of ['accepted', 'rejected'] as const) {
      const topic = shadowTopic(ref, operation, answer);
      if (!subscribed.has(topic)) await session.subscribe(topic, 1);
      subscribed.add(topic);
    }
    const clientToken = typeof body.clientToken === 'string' ? body.clientToken : randomUUID();
    const version = typeof body.version === 'number' ? body.version : undefined;
    const answered = new Promise<JsonObject>((resolve, reject) => waiting.set(clientToken, { resolve, reject, ref, operation, version }));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        waiting.delete(clientToken);
        reject(
          new IotctlError('SHADOW_NO_ANSWER', `No answer to the ${operation} of ${describeShadow(ref)} on ${shadowTopic(ref, operation, 'accepted')} or .../rejected within ${formatDuration(timeoutMs)}.`, {
            exitCode: ExitCode.TIMEOUT,
            hint: 'answers are deliveries: the policy must allow iot:Receive on them (a refused delivery looks like silence); or use HTTP (leave out --mqtt)',
          }),
        );
      }, timeoutMs);
    });
    // The answer can come before the request's PUBACK: the outcome is handled from now on, or a refusal arriving
    // during the publish would be an unhandled rejection (the process died with a stack trace, exit 1, not 4).
    const outcome = Promise.race([answered, late]);
    outcome.catch(() => undefined);
    try {
      await session.publish({ topic: shadowTopic(ref, operation), payload: Buffer.from(JSON.stringify({ ...body, clientToken })), qos: 1 });
      return await outcome;
    } finally {
      clearTimeout(timer);
      waiting.delete(clientToken);
    }
  }

  return {
    get: (ref) => ask(ref, 'get', {}),
    update: (ref, request) => ask(ref, 'update', request),
    delete: (ref) => ask(ref, 'delete', {}),
    close: () => session.disconnect(),
  };
}
