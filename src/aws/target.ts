import type { ResolvedSettings } from '../config/settings.js';
import { LOCAL_IOT_CORE_SERVICE } from '../core/local.js';

/** Where and as whom AWS calls go, from the resolved settings; unset fields fall back to the AWS SDK default chain. */
export interface AwsTarget {
  region?: string;
  /** Control-plane endpoint override (the local IoT Core, a VPC endpoint). */
  endpoint?: string;
  /** A profile in ~/.aws/config; otherwise the SDK's chain (AWS_PROFILE, env keys, SSO, IMDS...). */
  profile?: string;
  /** Static keys, only when the iotctl profile holds them (the local IoT Core). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** --request-timeout: a call with no answer for this long fails (default 60 s). */
  requestTimeoutMs?: number;
}

/**
 * Whose keys sign, in this order: keys exported in the environment
 * (AWS_ACCESS_KEY_ID, e.g. from `eval "$(iotctl cognito credentials --format env)"`),
 * an aws-profile setting (e.g. a credential_process profile), the keys the
 * iotctl profile stores (the local IoT Core's root key), then the SDK's chain.
 * A shell-wide AWS_PROFILE does not beat stored keys: it usually names real AWS
 * credentials, which the local IoT Core would refuse.
 */
export function awsTarget(settings: ResolvedSettings, env: NodeJS.ProcessEnv = {}, requestTimeoutMs?: number): AwsTarget {
  const accessKeyId = settings.get('access-key-id');
  const secretAccessKey = settings.get('secret-access-key');
  const chosenElsewhere = Boolean(settings.get('aws-profile')) || Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
  return {
    region: settings.get('region'),
    endpoint: settings.get('endpoint-url'),
    profile: env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? undefined : settings.get('aws-profile'),
    credentials: accessKeyId && secretAccessKey && !chosenElsewhere ? { accessKeyId, secretAccessKey } : undefined,
    requestTimeoutMs,
  };
}

/** Where the signing keys come from, for -v (never the keys themselves beyond the access key id). */
export function describeCredentials(target: AwsTarget, env: NodeJS.ProcessEnv): string {
  if (target.credentials) return `the profile's stored key ${target.credentials.accessKeyId}`;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return `AWS_ACCESS_KEY_ID ${env.AWS_ACCESS_KEY_ID}${env.AWS_SESSION_TOKEN ? ' (temporary, with AWS_SESSION_TOKEN)' : ''} from the environment`;
  if (target.profile) return `the AWS profile ${target.profile} (aws-profile setting)`;
  return `the AWS SDK's default chain${env.AWS_PROFILE ? ` (AWS_PROFILE=${env.AWS_PROFILE})` : ''}`;
}

/** Whether the endpoint is on this machine (loopback): calls fail at once there instead of being retried. */
export function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}


const identified = new Map<string, Promise<boolean>>();

/**
 * Whether the endpoint is iotctl's local IoT Core, asked of the endpoint itself
 * (GET /_local/health), not guessed from its name: LocalStack, moto or an AWS
 * China endpoint are not, and get no local-only calls. Asked once per process.
 */
export function isLocalIotCore(target: AwsTarget): Promise<boolean> {
  const endpoint = target.endpoint;
  if (!endpoint) return Promise.resolve(false);
  let answer = identified.get(endpoint);
  if (!answer) {
    const timeout = Math.min(target.requestTimeoutMs ?? 5000, 5000);
    answer = fetch(new URL('/_local/health', endpoint), { signal: AbortSignal.timeout(timeout) })
      .then(async (r) => r.ok && ((await r.json()) as { service?: unknown }).service === LOCAL_IOT_CORE_SERVICE)
      .catch(() => false);
    identified.set(endpoint, answer);
  }
  return answer;
}
