/** Things and their principals. */
import { notFound } from '../errors.js';
import type { Route } from '../http/router.js';
import type { ServiceContext, ServiceRequest } from '../http/types.js';
import { paginate } from '../pagination.js';
import type { ThingPrincipalType, ThingRecord } from '../store/model.js';
import { RULES, oneOf, optionalBoolean, optionalInteger, optionalObject, optionalString, optionalStringMap, queryBoolean, queryInteger, requireString } from '../validate.js';
import { header, pageSize, resolvePrincipal } from './common.js';

const thingNameParam = (req: ServiceRequest) => requireString(req.params.thingName, 'thingName', RULES.thingName);

/** Thing types and billing groups are not modelled locally, so naming one is naming something that does not exist. */
function refuseUnsupported(body: Record<string, unknown>): string | undefined {
  const typeName = optionalString(body.thingTypeName, 'thingTypeName', RULES.thingTypeName);
  if (typeName !== undefined) throw notFound(`Thing type ${typeName} does not exist (the local IoT Core has no thing types).`);
  const billing = optionalString(body.billingGroupName, 'billingGroupName');
  if (billing !== undefined) throw notFound(`Billing group ${billing} does not exist (the local IoT Core has no billing groups).`);
  return undefined;
}

function attributePayload(body: Record<string, unknown>) {
  const payload = optionalObject(body.attributePayload, 'attributePayload');
  if (!payload) return undefined;
  const attributes = optionalStringMap(payload.attributes, 'attributePayload.attributes', RULES.attributeName, RULES.attributeValue) ?? {};
  return { attributes, merge: optionalBoolean(payload.merge, 'attributePayload.merge') ?? false };
}

async function createThing(req: ServiceRequest, ctx: ServiceContext) {
  const name = thingNameParam(req);
  const body = req.json();
  const typeName = refuseUnsupported(body);
  const attributes = attributePayload(body)?.attributes ?? {};
  const thing = await ctx.store.mutate((r) => r.createThing(name, typeName, attributes, ctx.now()));
  return { thingName: thing.name, thingArn: ctx.arns.thing(thing.name), thingId: thing.id };
}

function thingView(thing: ThingRecord, ctx: ServiceContext) {
  return { thingName: thing.name, thingTypeName: thing.typeName, thingArn: ctx.arns.thing(thing.name), attributes: thing.attributes, version: thing.version };
}

function describeThing(req: ServiceRequest, ctx: ServiceContext) {
  const thing = ctx.store.registry.requireThing(thingNameParam(req));
  return { defaultClientId: thing.name, thingId: thing.id, ...thingView(thing, ctx) };
}

async function updateThing(req: ServiceRequest, ctx: ServiceContext) {
  const name = thingNameParam(req);
  const body = req.json();
  const typeName = refuseUnsupported(body);
  const payload = attributePayload(body);
  const update = {
    typeName,
    removeThingType: optionalBoolean(body.removeThingType, 'removeThingType') ?? false,
    attributes: payload?.attributes,
    merge: payload?.merge,
    expectedVersion: optionalInteger(body.expectedVersion, 'expectedVersion'),
  };
  await ctx.store.mutate((r) => r.updateThing(name, update));
}

async function deleteThing(req: ServiceRequest, ctx: ServiceContext) {
  const name = thingNameParam(req);
  const expectedVersion = queryInteger(req.query.get('expectedVersion'), 'expectedVersion');
  await ctx.store.mutate((r) => r.deleteThing(name, expectedVersion));
}

function listThings(req: ServiceRequest, ctx: ServiceContext) {
  const attributeName = optionalString(req.query.get('attributeName'), 'attributeName', RULES.attributeName);
  const attributeValue = optionalString(req.query.get('attributeValue'), 'attributeValue', RULES.attributeValue);
  const typeName = optionalString(req.query.get('thingTypeName'), 'thingTypeName', RULES.thingTypeName);
  const prefix = queryBoolean(req.query.get('usePrefixAttributeValue'), 'usePrefixAttributeValue') ?? false;
  const matches = (t: ThingRecord) => {
    if (typeName !== undefined && t.typeName !== typeName) return false;
    if (attributeName === undefined) return true;
    const value = t.attributes[attributeName];
    if (value === undefined) return false;
    return attributeValue === undefined || (prefix ? value.startsWith(attributeValue) : value === attributeValue);
  };
  const things = [...ctx.store.registry.things.values()].filter(matches).sort((a, b) => (a.name < b.name ? -1 : 1));
  const page = paginate(things, (t) => t.name, req.query.get('nextToken'), pageSize(req, 'maxResults'), 'nextToken');
  return { things: page.items.map((t) => thingView(t, ctx)), nextToken: page.next };
}

const PRINCIPAL_TYPES: ThingPrincipalType[] = ['EXCLUSIVE_THING', 'NON_EXCLUSIVE_THING'];

async function attachThingPrincipal(req: ServiceRequest, ctx: ServiceContext) {
  const name = thingNameParam(req);
  const principal = resolvePrincipal(header(req, 'x-amzn-principal'), 'principal', ctx);
  const type = oneOf(req.query.get('thingPrincipalType'), 'thingPrincipalType', PRINCIPAL_TYPES) ?? 'NON_EXCLUSIVE_THING';
  await ctx.store.mutate((r) => r.attachThingPrincipal(name, principal.key, type));
  return {};
}

async function detachThingPrincipal(req: ServiceRequest, ctx: ServiceContext) {
  const name = thingNameParam(req);
  const principal = resolvePrincipal(header(req, 'x-amzn-principal'), 'principal', ctx);
  await ctx.store.mutate((r) => r.detachThingPrincipal(name, principal.key));
  return {};
}

function listThingPrincipals(req: ServiceRequest, ctx: ServiceContext) {
  const name = thingNameParam(req);
  ctx.store.registry.requireThing(name);
  const principals = ctx.store.registry.principalsOf(name).map((key) => ctx.arns.principalText(key));
  const page = paginate(principals, (p) => p, req.query.get('nextToken'), pageSize(req, 'maxResults'), 'nextToken');
  return { principals: page.items, nextToken: page.next };
}

function listPrincipalThings(req: ServiceRequest, ctx: ServiceContext) {
  const principal = resolvePrincipal(header(req, 'x-amzn-principal'), 'principal', ctx);
  ctx.store.registry.requirePrincipal(principal.key);
  const things = ctx.store.registry.thingsFor(principal.key).map((t) => t.thingName);
  const page = paginate(things, (t) => t, req.query.get('nextToken'), pageSize(req, 'maxResults'), 'nextToken');
  return { things: page.items, nextToken: page.next };
}

export const thingRoutes: Route[] = [
  { method: 'POST', path: '/things/{thingName}', operation: 'CreateThing', handler: createThing },
  { method: 'GET', path: '/things/{thingName}', operation: 'DescribeThing', handler: describeThing },
  { method: 'PATCH', path: '/things/{thingName}', operation: 'UpdateThing', handler: updateThing },
  { method: 'DELETE', path: '/things/{thingName}', operation: 'DeleteThing', handler: deleteThing },
  { method: 'GET', path: '/things', operation: 'ListThings', handler: listThings },
  { method: 'PUT', path: '/things/{thingName}/principals', operation: 'AttachThingPrincipal', handler: attachThingPrincipal },
  { method: 'DELETE', path: '/things/{thingName}/principals', operation: 'DetachThingPrincipal', handler: detachThingPrincipal },
  { method: 'GET', path: '/things/{thingName}/principals', operation: 'ListThingPrincipals', handler: listThingPrincipals },
  { method: 'GET', path: '/principals/things', operation: 'ListPrincipalThings', handler: listPrincipalThings },
];
