import type { ResolvedSettings } from '../config/settings.js';

/** Where and as whom AWS calls go, from the resolved settings; unset fields fall back to the AWS SDK default chain. */
export interface AwsTarget {
  region?: string;
  /** Control-plane endpoint override (the local IoT Core, a VPC endpoint). */
  endpoint?: string;
  /** A profile in ~/.aws/config; otherwise the SDK's chain (AWS_PROFILE, env keys, SSO, IMDS...). */
  profile?: string;
  /** Static keys, only when the iotctl profile holds them (the local IoT Core). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function awsTarget(settings: ResolvedSettings): AwsTarget {
  const accessKeyId = settings.get('access-key-id');
  const secretAccessKey = settings.get('secret-access-key');
  // An aws-profile setting wins over keys the profile stores: e.g. IOTCTL_AWS_PROFILE=<a credential_process
  // profile> with --profile local signs as that identity. A shell-wide AWS_PROFILE does not: it usually names
  // real AWS credentials, which the local IoT Core would refuse.
  const chosenElsewhere = Boolean(settings.get('aws-profile'));
  return {
    region: settings.get('region'),
    endpoint: settings.get('endpoint-url'),
    profile: settings.get('aws-profile'),
    credentials: accessKeyId && secretAccessKey && !chosenElsewhere ? { accessKeyId, secretAccessKey } : undefined,
  };
}

/** Whether the target is the local IoT Core (or another non-AWS endpoint): no pacing, no AWS-only checks. */
export function isLocalEndpoint(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '[::1]' || !host.endsWith('.amazonaws.com');
  } catch {
    return false;
  }
}
