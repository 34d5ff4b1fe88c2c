/**
 * AWS IoT things: create, describe, list, delete (with --force's clean-up),
 * and the certificates attached to them. Each function takes the IoT client
 * and returns plain data; printing is the command's business.
 */
import {
  AttachThingPrincipalCommand,
  CreateThingCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  DetachThingPrincipalCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { IotctlError } from '../core/errors.js';
import { ifExists, isNotFound, listAll, withoutMetadata } from '../aws/responses.js';

export interface NewThing {
  thingName: string;
  thingType?: string;
  attributes?: Record<string, string>;
}

export async function createThing(iot: IoTClient, thing: NewThing) {
  const created = await iot.send(
    new CreateThingCommand({ thingName: thing.thingName, thingTypeName: thing.thingType, attributePayload: thing.attributes ? { attributes: thing.attributes } : undefined }),
  );
  return withoutMetadata(created);
}

/** A thing, or undefined when there is no such thing. */
export async function describeThingIfExists(iot: IoTClient, thingName: string) {
  const thing = await ifExists(iot.send(new DescribeThingCommand({ thingName })));
  return thing && withoutMetadata(thing);
}

/** A thing and the principals (certificate ARNs) attached to it. */
export async function describeThing(iot: IoTClient, thingName: string) {
  const thing = withoutMetadata(await iot.send(new DescribeThingCommand({ thingName })));
  return { ...thing, principals: await thingPrincipals(iot, thingName) };
}

export interface ThingFilter {
  /** AWS filters on one attribute at a time. */
  attribute?: { name: string; value: string };
  thingType?: string;
  max?: number;
}

export async function listThings(iot: IoTClient, filter: ThingFilter = {}) {
  return listAll(async (nextToken) => {
    const page = await iot.send(
      new ListThingsCommand({ nextToken, maxResults: 250, thingTypeName: filter.thingType, attributeName: filter.attribute?.name, attributeValue: filter.attribute?.value }),
    );
    return { items: page.things ?? [], next: page.nextToken };
  }, filter.max);
}

export interface DeletedThing {
  thingName: string;
  deleted: true;
  detachedPrincipals: string[];
}

/**
 * Deletes a thing. While certificates are attached AWS refuses; `force`
 * detaches them first. A thing that does not exist is deleted already (as on AWS).
 */
export async function deleteThing(iot: IoTClient, thingName: string, options: { force: boolean }): Promise<DeletedThing> {
  const principals = await thingPrincipals(iot, thingName).catch((err: unknown) => {
    if (isNotFound(err)) return [];
    throw err;
  });
  if (principals.length > 0 && !options.force) {
    throw new IotctlError('THING_HAS_PRINCIPALS', `The thing ${thingName} is still attached to ${principals.length} principal(s): ${principals.join(', ')}.`, { conflict: true });
  }
  for (const principal of principals) await iot.send(new DetachThingPrincipalCommand({ thingName, principal }));
  await iot.send(new DeleteThingCommand({ thingName }));
  return { thingName, deleted: true, detachedPrincipals: principals };
}

/** AttachThingPrincipal; `exclusive`: the certificate may belong to this thing only (EXCLUSIVE_THING). */
export async function attachThingPrincipal(iot: IoTClient, thingName: string, principal: string, options: { exclusive?: boolean } = {}): Promise<void> {
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal, thingPrincipalType: options.exclusive ? 'EXCLUSIVE_THING' : undefined }));
}

export async function detachThingPrincipal(iot: IoTClient, thingName: string, principal: string): Promise<void> {
  await iot.send(new DetachThingPrincipalCommand({ thingName, principal }));
}

/** Principals (certificate ARNs) attached to a thing. */
export async function thingPrincipals(iot: IoTClient, thingName: string): Promise<string[]> {
  return listAll(async (nextToken) => {
    const page = await iot.send(new ListThingPrincipalsCommand({ thingName, nextToken }));
    return { items: page.principals ?? [], next: page.nextToken };
  });
}

/** Things a principal (certificate ARN) is attached to. */
export async function principalThings(iot: IoTClient, principal: string): Promise<string[]> {
  return listAll(async (nextToken) => {
    const page = await iot.send(new ListPrincipalThingsCommand({ principal, nextToken }));
    return { items: page.things ?? [], next: page.nextToken };
  });
}
