/**
 * The demo's world: an in-process local IoT Core on free ports, a temporary
 * folder, the SDK clients, and helpers to provision devices and open MQTT
 * sessions the way the CLI does. Everything is torn down by close().
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IoTClient } from '@aws-sdk/client-iot';
import type { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import type { Emulator } from '../emulator/index.js';
import type { AuthLogEvent } from '../emulator/broker/auth-log.js';
import type { AwsCredentials, ConnectionSpec, MqttSession, MqttVersion } from '../mqtt/types.js';
import type { ProvisionResult } from '../identity/provision.js';
import type { DataPlaneClient } from '../dataplane/client.js';

const CONNECT_TIMEOUT_MS = 5000;

export interface World {
  emulator: Emulator;
  iot: IoTClient;
  cognito: CognitoIdentityClient;
  dir: string;
  region: string;
  /** Broker decisions seen so far (denials, refusals), newest last. */
  authEvents: AuthLogEvent[];
  provision(thingName: string, template: string, params?: Record<string, string>): Promise<ProvisionResult>;
  /** A mutual-TLS session with a provisioned device's files (MQTT 5 unless asked for 3.1.1). */
  deviceSession(device: ProvisionResult, clientId: string, mqtt?: MqttVersion): Promise<MqttSession>;
  /** A SigV4 WebSocket session with temporary (Cognito) credentials. */
  webSocketSession(clientId: string, credentials: AwsCredentials): Promise<MqttSession>;
  /** A client of the HTTPS data plane with a provisioned device's certificate (the caller closes it). */
  httpsClient(device: ProvisionResult): Promise<DataPlaneClient>;
  close(): Promise<void>;
}

/** IAM role policies for the demo's identity pool, from templates/roles. */
async function demoRoles(): Promise<Record<string, string>> {
  const { renderRolePolicy } = await import('../cognito/roles.js');
  return {
    'demo-unauth': await renderRolePolicy('cognito-unauth', {}),
    'demo-auth': await renderRolePolicy('cognito-auth', {}),
  };
}

export async function createWorld(): Promise<World> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iotctl-demo-'));
  const authEvents: AuthLogEvent[] = [];
  const { createEmulator } = await import('../emulator/index.js');
  const emulator = await createEmulator({
    ephemeral: true,
    ports: { http: 0, mqtt: 0, ws: 0, https: 0 },
    roles: await demoRoles(),
    log: { auth: (event) => authEvents.push(event) },
  });
  const { endpoints, credentials } = emulator;
  const target = { region: endpoints.region, endpoint: endpoints.controlPlane, credentials };
  const { iotClient, cognitoIdentityClient } = await import('../aws/clients.js');
  const iot = await iotClient(target);
  const cognito = await cognitoIdentityClient(target);
  const { connectSession } = await import('../mqtt/session.js');
  const caPem = await readFile(endpoints.caFile, 'utf8');
  const sessions: MqttSession[] = [];
  const open = async (spec: ConnectionSpec) => {
    const session = await connectSession(spec);
    sessions.push(session);
    return session;
  };
  const base = { endpoint: endpoints.dataHost, mqtt: 5 as MqttVersion, caFile: endpoints.caFile, connectTimeoutMs: CONNECT_TIMEOUT_MS };

  return {
    emulator,
    iot,
    cognito,
    dir,
    region: endpoints.region,
    authEvents,
    async provision(thingName, template, params = {}) {
      const { provision } = await import('../identity/provision.js');
      const { loadTemplate, templatePolicy } = await import('../policy-documents/templates.js');
      const policy = templatePolicy(await loadTemplate(template), params);
      return provision(
        {
          thingName,
          outDir: path.join(dir, thingName),
          keySpec: { type: 'ec', curve: 'P-256' },
          keyFormat: 'pkcs8',
          policy: { name: policy.name, document: policy.document },
          force: false,
        },
        { iot, region: endpoints.region, mqttPort: endpoints.mqtt!.port, rootCa: async () => caPem, step: (_title, work) => work() },
      );
    },
    deviceSession: (device, clientId, mqtt = 5) =>
      open({ ...base, mqtt, port: endpoints.mqtt!.port, auth: 'mtls', clientId, certFile: device.files.certificate, keyFile: device.files.privateKey, principal: device.certificateArn }),
    webSocketSession: (clientId, creds) => open({ ...base, port: endpoints.ws!.port, auth: 'sigv4', clientId, region: endpoints.region, credentials: async () => creds }),
    async httpsClient(device) {
      const { DataPlaneClient } = await import('../dataplane/client.js');
      return DataPlaneClient.open({ ...base, port: endpoints.https.port, auth: 'mtls', clientId: device.thingName, certFile: device.files.certificate, keyFile: device.files.privateKey, principal: device.certificateArn });
    },
    async close() {
      await Promise.allSettled(sessions.map((s) => s.disconnect()));
      iot.destroy();
      cognito.destroy();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
