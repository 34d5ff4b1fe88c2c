import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { testEnv } from './cli.js';

export interface LocalIot {
  emulator: Emulator;
  /** Environment that points the CLI at this emulator (through IOTCTL_* settings, no profile file needed). */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** An in-memory local IoT Core on free ports, and the CLI environment that talks to it. */
export async function startLocalIot(options: Partial<EmulatorOptions> = {}): Promise<LocalIot> {
  const emulator = await createEmulator({ ephemeral: true, ports: { http: 0, mqtt: 0, ws: 0, https: 0 }, ...options });
  const { endpoints, credentials } = emulator;
  const env = testEnv({
    IOTCTL_ENDPOINT_URL: endpoints.controlPlane,
    IOTCTL_REGION: endpoints.region,
    IOTCTL_ACCESS_KEY_ID: credentials.accessKeyId,
    IOTCTL_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    IOTCTL_CA_FILE: endpoints.caFile,
    ...(endpoints.mqtt ? { IOTCTL_MQTT_PORT: String(endpoints.mqtt.port) } : {}),
    ...(endpoints.ws ? { IOTCTL_WS_PORT: String(endpoints.ws.port) } : {}),
    ...(endpoints.https ? { IOTCTL_HTTPS_PORT: String(endpoints.https.port) } : {}),
  });
  return { emulator, env, close: () => emulator.close() };
}
