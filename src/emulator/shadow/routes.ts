/**
 * The Device Shadow's REST API on the HTTPS data plane, as botocore's
 * `iot-data` model has it: GetThingShadow `GET /things/{thingName}/shadow`,
 * UpdateThingShadow `POST` and DeleteThingShadow `DELETE` on the same path
 * (`?name=` for a named shadow), and ListNamedShadowsForThing
 * `GET /api/things/shadow/ListNamedShadowsForThing/{thingName}`. Each needs
 * its action (iot:GetThingShadow...) on `thing/<thing>` or, for a named
 * shadow, `thing/<thing>/<shadow>`. A refusal of the service becomes AWS's
 * HTTP error: 400 InvalidRequestException, 404 ResourceNotFoundException,
 * 409 ConflictException, 413 RequestEntityTooLargeException, 415
 * UnsupportedDocumentEncodingException.
 */
import { SHADOW_NAME, THING_NAME, checkName } from '../../core/names.js';
import type { ShadowError, ShadowRef } from '../../core/shadow/index.js';
import { MAX_PAYLOAD_BYTES } from '../broker/limits.js';
import type { DataPlaneContext, DataPlaneRequest, DataPlaneRoute } from '../data-plane/routes.js';
import { ServiceError, invalidRequest } from '../errors.js';
import { paginate } from '../pagination.js';
import type { ShadowResult } from './service.js';

/** A GET or DELETE has no body worth buffering. */
const NO_BODY_BYTES = 1024;
/** ListNamedShadowsForThing's pageSize: 1 to 100 (botocore); AWS documents no default, this is ours. */
const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 25;

const HTTP_ERRORS: Record<number, string> = {
  400: 'InvalidRequestException',
  401: 'UnauthorizedException',
  403: 'ForbiddenException',
  404: 'ResourceNotFoundException',
  409: 'ConflictException',
  413: 'RequestEntityTooLargeException',
  415: 'UnsupportedDocumentEncodingException',
  429: 'ThrottlingException',
};

/** The service's refusal as the HTTP error AWS answers with. */
export function httpError(error: ShadowError): ServiceError {
  return new ServiceError(HTTP_ERRORS[error.code] ?? 'InternalFailureException', error.message);
}

function thingNameOf(req: DataPlaneRequest): string {
  const thingName = req.params.thingName!;
  const problem = checkName(THING_NAME, thingName);
  if (problem) throw invalidRequest(problem);
  return thingName;
}

function refOf(req: DataPlaneRequest): ShadowRef {
  const thingName = thingNameOf(req);
  const shadowName = req.query.get('name');
  if (shadowName === undefined) return { thingName };
  const problem = checkName(SHADOW_NAME, shadowName);
  if (problem) throw invalidRequest(problem);
  return { thingName, shadowName };
}

function answer(result: ShadowResult): unknown {
  if (!result.ok) throw httpError(result.error);
  return result.document;
}

function getThingShadow(req: DataPlaneRequest, ctx: DataPlaneContext): unknown {
  const ref = refOf(req);
  req.caller.require('iot:GetThingShadow', ctx.resources.thing(ref.thingName, ref.shadowName));
  return answer(ctx.shadows.get(ref));
}

async function updateThingShadow(req: DataPlaneRequest, ctx: DataPlaneContext): Promise<unknown> {
  const ref = refOf(req);
  req.caller.require('iot:UpdateThingShadow', ctx.resources.thing(ref.thingName, ref.shadowName));
  return answer(await ctx.shadows.update(ref, req.body));
}

async function deleteThingShadow(req: DataPlaneRequest, ctx: DataPlaneContext): Promise<unknown> {
  const ref = refOf(req);
  req.caller.require('iot:DeleteThingShadow', ctx.resources.thing(ref.thingName, ref.shadowName));
  return answer(await ctx.shadows.delete(ref));
}

function pageSizeOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PAGE_SIZE;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > MAX_PAGE_SIZE) throw invalidRequest(`pageSize must be a number from 1 to ${MAX_PAGE_SIZE}, not "${text}".`);
  return Number(text);
}

function listNamedShadowsForThing(req: DataPlaneRequest, ctx: DataPlaneContext): unknown {
  const thingName = thingNameOf(req);
  const pageSize = pageSizeOf(req.query.get('pageSize'));
  req.caller.require('iot:ListNamedShadowsForThing', ctx.resources.thing(thingName));
  // The classic shadow is not listed; a thing without named shadows (or unknown) has an empty list.
  const page = paginate(ctx.shadows.namedShadows(thingName), (name) => name, req.query.get('nextToken'), pageSize, 'nextToken');
  return { results: page.items, ...(page.next ? { nextToken: page.next } : {}), timestamp: Math.floor(ctx.now() / 1000) };
}

export const shadowRoutes: DataPlaneRoute[] = [
  { method: 'GET', path: '/things/{thingName}/shadow', operation: 'GetThingShadow', maxBodyBytes: NO_BODY_BYTES, handle: getThingShadow },
  // As over MQTT: at most 128 KB per request; the state it leaves is checked against 8 KB.
  { method: 'POST', path: '/things/{thingName}/shadow', operation: 'UpdateThingShadow', maxBodyBytes: MAX_PAYLOAD_BYTES, handle: updateThingShadow },
  { method: 'DELETE', path: '/things/{thingName}/shadow', operation: 'DeleteThingShadow', maxBodyBytes: NO_BODY_BYTES, handle: deleteThingShadow },
  { method: 'GET', path: '/api/things/shadow/ListNamedShadowsForThing/{thingName}', operation: 'ListNamedShadowsForThing', maxBodyBytes: NO_BODY_BYTES, handle: listNamedShadowsForThing },
];
