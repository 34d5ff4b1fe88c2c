import type { IoTClient } from '@aws-sdk/client-iot';
import { usageError, notFoundError } from '../core/errors.js';

/** iotctl-<template>, plus the values of parameters that differ from their defaults, so one policy serves every principal alike. */
export function defaultPolicyName(template: string, declared: { name: string; default?: string }[], values: Record<string, string>): string {
  const custom = declared.filter((p) => values[p.name] !== undefined && values[p.name] !== p.default).map((p) => values[p.name]!.replace(/[^\w+=,.@-]/g, '_'));
  return ['iotctl', template, ...custom].join('-').slice(0, 128);
}

export function sameDocument(a: string | undefined, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a ?? '')) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/**
 * Makes sure a policy exists: reuses it when it holds the same document (or
 * when no document is given), creates it when missing, and refuses when a
 * policy of that name holds something else.
 */
export async function ensurePolicy(iot: IoTClient, name: string, document: string | undefined): Promise<{ name: string; created: boolean }> {
  const sdk = await import('@aws-sdk/client-iot');
  const existing = await iot.send(new sdk.GetPolicyCommand({ policyName: name })).catch((err: { name?: string }) => {
    if (err.name === 'ResourceNotFoundException') return undefined;
    throw err;
  });
  if (existing) {
    if (document !== undefined && !sameDocument(existing.policyDocument, document)) {
      throw usageError('POLICY_EXISTS_DIFFERENT', `The policy ${name} already exists with a different document.`, `reuse it as it is with --policy ${name}, or pick another name with --policy-name`);
    }
    return { name, created: false };
  }
  if (document === undefined) throw notFoundError('POLICY_NOT_FOUND', `The policy ${name} does not exist.`, 'create it (iotctl policy create), or use --template');
  await iot.send(new sdk.CreatePolicyCommand({ policyName: name, policyDocument: document }));
  return { name, created: true };
}
