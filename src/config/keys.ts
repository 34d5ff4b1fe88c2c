import { isRegion } from '../core/aws-ids.js';
import { usageError } from '../core/errors.js';

/**
 * The settings a profile can hold. Each has a kebab-case name (config file and
 * `config set`), an environment variable (IOTCTL_<NAME>), and a validator.
 */

export interface SettingSpec {
  name: string;
  description: string;
  /** Secret values are masked in listings unless asked for. */
  secret?: boolean;
  /** Returns an error message for a bad value. */
  validate?: (value: string) => string | undefined;
  default?: string;
}

const oneOf = (...values: string[]) => (v: string) => (values.includes(v) ? undefined : `must be one of: ${values.join(', ')}`);
const url = (v: string) => (/^https?:\/\/[^\s/]+/.test(v) ? undefined : 'must be an http:// or https:// URL');
const port = (v: string) => (/^\d+$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? undefined : 'must be a port number (1-65535)');
const duration = (v: string) => (/^\s*(\d+(\.\d+)?|(\d+(\.\d+)?(ms|s|m|h))+)\s*$/.test(v) ? undefined : 'must be a duration such as 30s, 2m or 500ms');
const region = (v: string) => (isRegion(v) ? undefined : 'must look like an AWS region, e.g. us-east-1');

export const SETTINGS: readonly SettingSpec[] = [
  { name: 'region', description: 'AWS region (else the AWS SDK default chain: AWS_REGION, ~/.aws/config)', validate: region },
  { name: 'aws-profile', description: 'profile in ~/.aws/config and ~/.aws/credentials to take credentials from' },
  { name: 'endpoint-url', description: 'control-plane endpoint URL (e.g. the local IoT Core)', validate: url },
  { name: 'data-endpoint', description: 'MQTT data endpoint host (else discovered with DescribeEndpoint iot:Data-ATS)' },
  { name: 'mqtt-port', description: 'MQTT over mutual TLS port (default 8883)', validate: port },
  { name: 'ws-port', description: 'MQTT over WebSockets port (default 443)', validate: port },
  { name: 'https-port', description: 'HTTPS data-plane port for pub --http and retained (default 8443 with a certificate, 443 with SigV4)', validate: port },
  { name: 'ca-file', description: 'root CA file for the data endpoint' },
  { name: 'auth', description: 'how MQTT sessions authenticate', validate: oneOf('mtls', 'sigv4', 'cognito') },
  { name: 'identity-pool-id', description: 'Cognito identity pool for --auth cognito', validate: (v) => (/^[\w-]+:[0-9a-f-]+$/.test(v) ? undefined : 'must look like us-east-1:<uuid>') },
  { name: 'access-key-id', description: 'access key id (only for the local IoT Core profile)' },
  { name: 'secret-access-key', description: 'secret access key (only for the local IoT Core profile)', secret: true },
  { name: 'request-timeout', description: 'how long an AWS API call may wait for an answer (default 60s, like the AWS CLI)', validate: duration },
  { name: 'driver', description: 'MQTT client library: crt (AWS IoT Device SDK v2; the default where aws-crt loads) or js (MQTT.js, pure JavaScript)', validate: oneOf('crt', 'js') },
  { name: 'local-data-dir', description: 'data directory of the local IoT Core' },
];

export function findSetting(name: string): SettingSpec | undefined {
  return SETTINGS.find((s) => s.name === name);
}

export function envName(setting: string): string {
  return 'IOTCTL_' + setting.toUpperCase().replace(/-/g, '_');
}

/** The setting named by a user, or a usage error listing the known ones. */
export function requireSetting(name: string): SettingSpec {
  const spec = findSetting(name);
  if (!spec) {
    throw usageError('UNKNOWN_SETTING', `Unknown setting "${name}".`, `known settings: ${SETTINGS.map((s) => s.name).join(', ')}`);
  }
  return spec;
}
