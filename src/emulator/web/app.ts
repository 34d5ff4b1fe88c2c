/**
 * The web app's world on the local IoT Core (`local start --web`): an identity
 * pool that lets guests in and accepts the local login provider, its two roles
 * (guests read public/...; signed-in users may use MQTT, as AWS then also
 * requires an IoT policy on each identity), the IoT policy the app's
 * registration attaches to signed-in users (templates/policies/web-user.json),
 * and the lamp thing whose shadow the page works.
 *
 * Made once and found again at every start (by name), so identities, and the
 * policy attachments of users who signed in before, survive a restart. What a
 * user changed (the pool, the policy) is left as it is; the roles' inline
 * policies are put again, as `createEmulator({ roles })` does.
 */
import { randomUUID } from 'node:crypto';
import { renderTemplate } from '../../core/policy/template.js';
import { loadTemplate } from '../../policy-documents/templates.js';
import type { Arns } from '../arns.js';
import { localLoginProvider, LOCAL_LOGIN_CLIENT_ID } from '../cognito/local-login.js';
import type { StateStore } from '../store/state.js';
import type { IdentityPoolRecord } from '../store/model.js';

export const WEB_POOL_NAME = 'iotctl-web';
export const WEB_USER_POLICY = 'iotctl-web-user';
export const WEB_LAMP = 'lamp-1';
export const WEB_PUBLIC_PREFIX = 'public';
const ROLE_NAMES = { authenticated: 'iotctl-web-auth', unauthenticated: 'iotctl-web-unauth' } as const;
/** The IAM role policy templates, as `iotctl cognito pool create` uses them. */
const ROLE_TEMPLATES_DIR = new URL('../../../templates/roles/', import.meta.url);

/** What the page and the registration endpoint need to know about that world. */
export interface WebApp {
  identityPoolId: string;
  /** The IoT policy attached to each signed-in identity that registers. */
  userPolicy: string;
  lamp: string;
  /** Guests and users read `<publicPrefix>/#`; the sensor publishes there. */
  publicPrefix: string;
}

/** `rolePolicyName`: the inline policy that holds a seeded role's document (createEmulator's for `roles`). */
export async function seedWebApp(store: StateStore, arns: Arns, now: number, rolePolicyName: string): Promise<WebApp> {
  const render = async (template: string, params: Record<string, string>, dir?: URL) => renderTemplate(await loadTemplate(template, dir), params).text;
  const [unauthRole, authRole, userPolicy] = await Promise.all([
    render('cognito-unauth', { prefix: WEB_PUBLIC_PREFIX }, ROLE_TEMPLATES_DIR),
    render('cognito-auth', {}, ROLE_TEMPLATES_DIR),
    render('web-user', { lamp: WEB_LAMP, prefix: WEB_PUBLIC_PREFIX, region: arns.region, account: arns.accountId }),
  ]);
  return store.mutate((r) => {
    r.seedRole(ROLE_NAMES.unauthenticated, rolePolicyName, unauthRole, now);
    r.seedRole(ROLE_NAMES.authenticated, rolePolicyName, authRole, now);
    let pool = [...r.identityPools.values()].filter((p) => p.name === WEB_POOL_NAME).sort((a, b) => a.createdAt - b.createdAt)[0];
    if (!pool) {
      pool = newPool(arns, now);
      r.putIdentityPool(pool);
    }
    if (!r.policies.has(WEB_USER_POLICY)) r.createPolicy(WEB_USER_POLICY, userPolicy, [], now);
    if (!r.things.has(WEB_LAMP)) r.createThing(WEB_LAMP, undefined, {}, now);
    return { identityPoolId: pool.id, userPolicy: WEB_USER_POLICY, lamp: WEB_LAMP, publicPrefix: WEB_PUBLIC_PREFIX };
  });
}

function newPool(arns: Arns, now: number): IdentityPoolRecord {
  return {
    id: `${arns.region}:${randomUUID()}`,
    name: WEB_POOL_NAME,
    allowUnauthenticated: true,
    allowClassicFlow: false,
    supportedLoginProviders: {},
    openIdConnectProviderArns: [],
    cognitoIdentityProviders: [{ ProviderName: localLoginProvider(arns.region), ClientId: LOCAL_LOGIN_CLIENT_ID, ServerSideTokenCheck: false }],
    samlProviderArns: [],
    tags: {},
    roles: { authenticated: arns.role(ROLE_NAMES.authenticated), unauthenticated: arns.role(ROLE_NAMES.unauthenticated) },
    createdAt: now,
  };
}
