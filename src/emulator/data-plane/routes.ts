/**
 * The HTTPS data plane's operations, as botocore's `iot-data` model has them:
 * Publish `POST /topics/{topic}`, GetRetainedMessage `GET /retainedMessage/{topic}`
 * and ListRetainedMessages `GET /retainedMessage`. A route table: the Device
 * Shadow's REST API adds its routes beside these (shadow/routes.ts).
 *
 * Topics arrive percent-encoded as one segment (the SDKs and the AWS CLI send
 * `a%2Fb`) or with their slashes as they are (curl users type `/topics/a/b`);
 * both mean the topic `a/b`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteShape } from '../http/router.js';
import type { Broker } from '../broker/broker.js';
import type { Resources } from '../broker/connection.js';
import { MAX_PAYLOAD_BYTES, mayRetain, publishTopicProblem } from '../broker/limits.js';
import type { RetainedStore } from '../broker/retained.js';
import type { ShadowService } from '../shadow/service.js';
import { ServiceError, invalidRequest, notFound } from '../errors.js';
import { paginate } from '../pagination.js';
import type { Caller } from './caller.js';
import { readProperties } from './properties.js';

export interface DataPlaneRequest {
  /** Path labels, decoded. */
  params: Record<string, string>;
  /** Query parameters, decoded; the first value of each. */
  query: Map<string, string>;
  headers: IncomingHttpHeaders;
  body: Buffer;
  caller: Caller;
}

export interface DataPlaneContext {
  broker: Pick<Broker, 'publishAs'>;
  retained: RetainedStore;
  shadows: ShadowService;
  resources: Resources;
  now: () => number;
  /** The operation's trace id, echoed in the body as AWS does. */
  traceId: string;
}

export interface DataPlaneRoute extends RouteShape {
  operation: string;
  /** The largest body accepted: a larger one is a 413 before it is buffered. */
  maxBodyBytes: number;
  /** The JSON body of the 200 answer. */
  handle(request: DataPlaneRequest, ctx: DataPlaneContext): Promise<unknown> | unknown;
}

/** What a request without a body of its own may carry: nothing worth buffering. */
const NO_BODY_BYTES = 1024;
/** ListRetainedMessages' maxResults: 1 to 200 (botocore), 200 when absent. */
const MAX_LIST_RESULTS = 200;

function topicOf(req: DataPlaneRequest): string {
  const topic = req.params.topic!;
  const problem = publishTopicProblem(topic);
  if (problem) throw invalidRequest(`The topic is not valid: ${problem}.`);
  return topic;
}

function qosOf(text: string | undefined): 0 | 1 {
  if (text === undefined || text === '0') return 0;
  if (text === '1') return 1;
  throw invalidRequest(`qos must be 0 or 1, not "${text}" (AWS IoT does not support QoS 2).`);
}

function booleanOf(text: string | undefined, name: string): boolean {
  if (text === undefined) return false;
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  throw invalidRequest(`${name} must be true or false, not "${text}".`);
}

function maxResultsOf(text: string | undefined): number {
  if (text === undefined) return MAX_LIST_RESULTS;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > MAX_LIST_RESULTS) throw invalidRequest(`maxResults must be a number from 1 to ${MAX_LIST_RESULTS}, not "${text}".`);
  return Number(text);
}

async function publish(req: DataPlaneRequest, ctx: DataPlaneContext): Promise<unknown> {
  const topic = topicOf(req);
  const qos = qosOf(req.query.get('qos'));
  // As over MQTT: RETAIN on a reserved $ topic is ignored, the message is still published.
  const retain = booleanOf(req.query.get('retain'), 'retain') && mayRetain(topic);
  const properties = readProperties(req.query, req.headers, req.body);
  const resource = ctx.resources.topic(topic);
  req.caller.require('iot:Publish', resource);
  if (retain) req.caller.require('iot:RetainPublish', resource);
  await ctx.broker.publishAs(req.caller.publisher, { topic, payload: req.body, qos, retain, properties });
  return { message: 'OK', traceId: ctx.traceId };
}

function getRetainedMessage(req: DataPlaneRequest, ctx: DataPlaneContext): unknown {
  const topic = topicOf(req);
  req.caller.require('iot:GetRetainedMessage', ctx.resources.topic(topic));
  const message = ctx.retained.get(topic);
  if (!message) throw notFound(`No retained message is stored for the topic "${topic}".`);
  return { topic, payload: message.payload.toString('base64'), qos: message.qos, lastModifiedTime: message.storedAt };
}

function listRetainedMessages(req: DataPlaneRequest, ctx: DataPlaneContext): unknown {
  const limit = maxResultsOf(req.query.get('maxResults'));
  // The action takes no resource but `*` (facts sheet 1.2).
  req.caller.require('iot:ListRetainedMessages', '*');
  const page = paginate(ctx.retained.list(), (m) => m.topic, req.query.get('nextToken'), limit, 'nextToken');
  return {
    retainedTopics: page.items.map((m) => ({ topic: m.topic, payloadSize: m.payload.length, qos: m.qos, lastModifiedTime: m.storedAt })),
    nextToken: page.next,
  };
}

export const dataPlaneRoutes: DataPlaneRoute[] = [
  { method: 'POST', path: '/topics/{topic+}', operation: 'Publish', maxBodyBytes: MAX_PAYLOAD_BYTES, handle: publish },
  { method: 'GET', path: '/retainedMessage/{topic+}', operation: 'GetRetainedMessage', maxBodyBytes: NO_BODY_BYTES, handle: getRetainedMessage },
  { method: 'GET', path: '/retainedMessage', operation: 'ListRetainedMessages', maxBodyBytes: NO_BODY_BYTES, handle: listRetainedMessages },
];

/** A path no route serves with any method. */
export const unknownOperation = (method: string, path: string) =>
  new ServiceError('UnknownOperationException', `The local IoT Core's HTTPS data plane does not support ${method} ${path} (it serves POST /topics/<topic>, GET /retainedMessage/<topic>, GET /retainedMessage, GET|POST|DELETE /things/<thing>/shadow and GET /api/things/shadow/ListNamedShadowsForThing/<thing>).`);
