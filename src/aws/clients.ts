import type { IoTClient } from '@aws-sdk/client-iot';
import type { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { AwsTarget } from './target.js';
import { isLocalEndpoint } from './target.js';

// The SDK warns on every start under Node 20; iotctl supports Node >= 20.19 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function clientConfig(target: AwsTarget) {
  return {
    region: target.region,
    endpoint: target.endpoint,
    profile: target.profile,
    credentials: target.credentials,
    // A local endpoint that is down should fail at once, not after the default retries.
    maxAttempts: isLocalEndpoint(target.endpoint) ? 1 : undefined,
  };
}

/** AWS SDK clients, imported only when a command needs them (never for --help). */
export async function iotClient(target: AwsTarget): Promise<IoTClient> {
  const { IoTClient } = await import('@aws-sdk/client-iot');
  return new IoTClient(clientConfig(target));
}

export async function cognitoIdentityClient(target: AwsTarget): Promise<CognitoIdentityClient> {
  const { CognitoIdentityClient } = await import('@aws-sdk/client-cognito-identity');
  return new CognitoIdentityClient(clientConfig(target));
}

/** IAM (global on AWS; the endpoint override, when set, answers it too: the local IoT Core does). */
export async function iamClient(target: AwsTarget): Promise<IAMClient> {
  const { IAMClient } = await import('@aws-sdk/client-iam');
  return new IAMClient(clientConfig(target));
}
