import type { IoTClient } from '@aws-sdk/client-iot';
import type { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { AwsTarget } from './target.js';
import { isLoopbackEndpoint } from './target.js';

// The SDK warns on every start under Node 20; iotctl supports Node >= 20.19 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The AWS CLI's read timeout: a call with no answer for this long fails (exit 6). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** What the CLI wants to hear about calls: `onSlowCall` starts when one takes long and returns its stop. */
export interface ClientHooks {
  onSlowCall?: (operation: string) => () => void;
}

/** How long a call may run before the user is shown that iotctl is waiting. */
const SLOW_CALL_MS = 300;

function clientConfig(target: AwsTarget) {
  const timeout = target.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return {
    region: target.region,
    endpoint: target.endpoint,
    profile: target.profile,
    credentials: target.credentials,
    // A local endpoint that is down should fail at once, not after the default retries.
    maxAttempts: isLoopbackEndpoint(target.endpoint) ? 1 : undefined,
    requestHandler: { requestTimeout: timeout, connectionTimeout: Math.min(timeout, 10_000), throwOnRequestTimeout: true },
  };
}

type Stack = { add(middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>, options: { step: 'initialize'; name: string }): void };

/** A call slower than SLOW_CALL_MS gets the caller's indicator (a spinner on a terminal) until it ends. */
function watchSlowCalls<C extends { middlewareStack: unknown }>(client: C, hooks: ClientHooks): C {
  const onSlow = hooks.onSlowCall;
  if (!onSlow) return client;
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      let stop: (() => void) | undefined;
      const timer = setTimeout(() => (stop = onSlow(context.commandName?.replace(/Command$/, '') ?? 'AWS call')), SLOW_CALL_MS);
      try {
        return await next(args);
      } finally {
        clearTimeout(timer);
        stop?.();
      }
    },
    { step: 'initialize', name: 'iotctlSlowCall' },
  );
  return client;
}

/** AWS SDK clients, imported only when a command needs them (never for --help). */
export async function iotClient(target: AwsTarget, hooks: ClientHooks = {}): Promise<IoTClient> {
  const { IoTClient } = await import('@aws-sdk/client-iot');
  return watchSlowCalls(new IoTClient(clientConfig(target)), hooks);
}

export async function cognitoIdentityClient(target: AwsTarget, hooks: ClientHooks = {}): Promise<CognitoIdentityClient> {
  const { CognitoIdentityClient } = await import('@aws-sdk/client-cognito-identity');
  return watchSlowCalls(new CognitoIdentityClient(clientConfig(target)), hooks);
}

/** IAM (global on AWS; the endpoint override, when set, answers it too: the local IoT Core does). */
export async function iamClient(target: AwsTarget, hooks: ClientHooks = {}): Promise<IAMClient> {
  const { IAMClient } = await import('@aws-sdk/client-iam');
  return watchSlowCalls(new IAMClient(clientConfig(target)), hooks);
}
