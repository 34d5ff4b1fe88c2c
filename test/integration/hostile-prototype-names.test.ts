/**
 * Names a client chooses (operation targets, IAM actions, signed header names,
 * query keys, map keys, condition operators, profile names) that happen to be
 * the names of JavaScript's Object.prototype members are names like any
 * other: an unknown operation is a 400, never a 500 or a crash.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateIdentityPoolCommand, CognitoIdentityClient, DescribeIdentityPoolCommand } from '@aws-sdk/client-cognito-identity';
import { rawRequest, signedRequest } from '../helpers/emulator.js';
import { spawnCli, testEnv } from '../helpers/cli.js';
import { spawnLocal, type SpawnedLocal } from '../helpers/spawned-local.js';

const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

let local: SpawnedLocal;
beforeAll(async () => {
  local = await spawnLocal(['--ephemeral']);
});
afterAll(() => local?.stop());

const root = () => ({ accessKeyId: local.ready.accessKeyId, secretAccessKey: local.ready.secretAccessKey });

describe('names of Object.prototype members', () => {
  it('X-Amz-Target AWSCognitoIdentityService.<name>: 400 UnknownOperationException', async () => {
    for (const name of NAMES) {
      const res = await rawRequest(local.ready.controlPlane, '/', {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${name}` },
        body: '{}',
      });
      expect([name, res.status, res.json?.__type]).toEqual([name, 400, 'UnknownOperationException']);
    }
  });

  it('IAM Action=<name> (signed): InvalidAction; REST paths /<name>: UnknownOperationException', async () => {
    for (const name of NAMES) {
      const iam = await signedRequest(local.ready.controlPlane, {
        method: 'POST',
        path: '/',
        service: 'iam',
        credentials: root(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `Action=${encodeURIComponent(name)}&Version=2010-05-08`,
      });
      expect([name, iam.status, /<Code>InvalidAction<\/Code>/.test(iam.text)]).toEqual([name, 400, true]);
      const rest = await signedRequest(local.ready.controlPlane, { method: 'GET', path: `/${encodeURIComponent(name)}`, credentials: root() });
      expect([name, rest.status, rest.headers.get('x-amzn-errortype')]).toEqual([name, 404, 'UnknownOperationException']);
    }
  });

  it('a signature that claims to sign a header named like a prototype member is just wrong (403), and a query key named so still verifies', async () => {
    for (const name of NAMES) {
      const signed = await signedRequest(local.ready.controlPlane, { method: 'GET', path: '/things', query: { [name]: '1' }, credentials: root() });
      expect([name, signed.status]).toEqual([name, 200]);
    }
    const good = await signedRequest(local.ready.controlPlane, { method: 'GET', path: '/things', credentials: root(), headers: { 'x-probe': '1' } });
    expect(good.status).toBe(200);
    for (const name of NAMES) {
      // The Authorization header as a client would tamper with it: the header list names a prototype member.
      const res = await rawRequest(local.ready.controlPlane, '/things', {
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${local.ready.accessKeyId}/20260101/us-east-1/iot/aws4_request, SignedHeaders=host;${name.toLowerCase()};x-amz-date, Signature=${'0'.repeat(64)}`,
          'x-amz-date': new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''),
        },
      });
      expect([name, res.status]).toEqual([name, 403]);
    }
  });

  it('Cognito maps keep such keys as keys: SupportedLoginProviders {"__proto__": ...} reads back as written', async () => {
    const cognito = new CognitoIdentityClient({ endpoint: local.ready.controlPlane, region: local.ready.region, credentials: root(), maxAttempts: 1 });
    const body = JSON.parse('{"__proto__": "app-one", "constructor": "app-two"}') as Record<string, string>;
    const pool = await cognito.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'protos', AllowUnauthenticatedIdentities: true, SupportedLoginProviders: body }));
    const described = await cognito.send(new DescribeIdentityPoolCommand({ IdentityPoolId: pool.IdentityPoolId! }));
    expect(Object.entries(described.SupportedLoginProviders ?? {}).sort()).toEqual([
      ['__proto__', 'app-one'],
      ['constructor', 'app-two'],
    ]);
    cognito.destroy();
  });

  it('iotctl: a condition operator named "constructor" is invalid, --profile constructor does not exist, --param __proto__=x is an unknown parameter', async () => {
    const file = path.join(os.tmpdir(), `iotctl-proto-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iot:Publish', Resource: '*', Condition: { constructor: { 'iot:ClientId': 'x' } } }] }));
    const validate = await spawnCli(['policy', 'validate', file]);
    expect(validate.code).toBe(2);
    expect(validate.stderr + validate.stdout).toMatch(/unknown condition operator "constructor"/);

    const profile = await spawnCli(['--profile', 'constructor', '--region', 'us-east-1', 'thing', 'list'], { env: testEnv() });
    expect(profile.code).toBe(4);
    expect(profile.stderr).toMatch(/The profile "constructor" \(from --profile\) does not exist/);

    const param = await spawnCli(['policy', 'render', 'device', '--param', '__proto__=x']);
    expect(param.code).toBe(2);
    expect(param.stderr).toMatch(/has no parameter "__proto__"/);
  });
});
