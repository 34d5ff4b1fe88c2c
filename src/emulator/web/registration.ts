/**
 * On-demand registration for the web app: what the Lambda function in
 * templates/lambda/on-demand-registration does behind API Gateway with IAM
 * authorization. A signed-in identity of the app's pool calls it, SigV4-signed
 * with its own Cognito credentials (service execute-api), and gets the app's
 * IoT policy attached to its own identity id: AWS IoT lets a signed-in Cognito
 * identity do nothing until an IoT policy is attached to it. The identity is
 * the signature's, never one named in the body. Calling it twice is harmless.
 */
import type { Signer } from '../http/types.js';
import { ServiceError } from '../errors.js';
import type { StateStore } from '../store/state.js';
import type { WebApp } from './app.js';

export const REGISTER_PATH = '/register';
/** API Gateway's signing name: the page signs this call as it would sign a call to a real API. */
export const REGISTER_SERVICE = 'execute-api';

export interface Registration {
  identityId: string;
  policyName: string;
  alreadyRegistered: boolean;
}

const forbidden = (message: string) => new ServiceError('ForbiddenException', message, {}, 403);

export async function register(signer: Exclude<Signer, { kind: 'anonymous' }>, app: WebApp, store: StateStore): Promise<Registration> {
  if (signer.kind !== 'session') throw forbidden('Call this with the Cognito credentials of a signed-in user of the app, not an access key.');
  const { session } = signer;
  if (session.poolId !== app.identityPoolId) throw forbidden(`The credentials are of identity pool ${session.poolId}, not the app's (${app.identityPoolId}).`);
  if (!session.authenticated) {
    throw forbidden("Guests are not registered: AWS IoT authorizes them by the pool's unauthenticated role alone. Sign in first.");
  }
  const identityId = session.identityId;
  const alreadyRegistered = await store.mutate((r) => {
    r.requireIdentity(identityId);
    const had = r.policyNamesFor(identityId).includes(app.userPolicy);
    r.attachPolicy(app.userPolicy, identityId);
    return had;
  });
  return { identityId, policyName: app.userPolicy, alreadyRegistered };
}
