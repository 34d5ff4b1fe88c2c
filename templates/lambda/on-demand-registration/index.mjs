// On-demand registration for AWS IoT and Amazon Cognito (Node.js 20+ Lambda, AWS SDK v3 from the runtime).
//
// A signed-in Cognito identity can use AWS IoT only once an IoT policy is
// attached to its identity id, and that policy cannot be attached before the
// identity exists. The app calls this function (API Gateway with an IAM/Cognito
// authorizer, or a direct Lambda invoke with the identity's credentials) on
// first connect; it attaches the policy to the caller's own identity.
//
// Environment:
//   IOT_POLICY_NAME  the IoT policy to attach (e.g. one rendered by `iotctl policy render cognito-user`)
import { IoTClient, AttachPolicyCommand, ListAttachedPoliciesCommand } from '@aws-sdk/client-iot';

const iot = new IoTClient({});
const POLICY = process.env.IOT_POLICY_NAME;
const IDENTITY_ID = /^[a-z]{2}(-[a-z]+)+-\d+:[0-9a-f-]{36}$/;

/** The caller's identity id: from API Gateway's IAM context, or a direct invoke's Cognito context. */
function callerIdentityId(event, context) {
  return event?.requestContext?.identity?.cognitoIdentityId ?? context?.identity?.cognitoIdentityId;
}

export async function handler(event, context) {
  if (!POLICY) return respond(500, { message: 'IOT_POLICY_NAME is not set' });
  // Never trust an identity id from the request body: only the one Cognito vouched for.
  const identityId = callerIdentityId(event, context);
  if (!identityId || !IDENTITY_ID.test(identityId)) return respond(403, { message: 'Call this function with Cognito identity credentials.' });

  const attached = await iot.send(new ListAttachedPoliciesCommand({ target: identityId }));
  if ((attached.policies ?? []).some((p) => p.policyName === POLICY)) {
    return respond(200, { identityId, policyName: POLICY, alreadyRegistered: true });
  }
  await iot.send(new AttachPolicyCommand({ policyName: POLICY, target: identityId }));
  return respond(200, { identityId, policyName: POLICY, alreadyRegistered: false });
}

function respond(statusCode, body) {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
