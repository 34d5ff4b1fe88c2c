/** The local AWS IoT Core, as a library. */
export { createEmulator, DEFAULT_PORTS, DEFAULT_HOST, DEFAULT_REGION, DEFAULT_ACCOUNT_ID } from './emulator.js';
export type { Emulator, EmulatorOptions, EmulatorEndpoints, EmulatorPorts, EmulatorLogger, Endpoint } from './emulator.js';
export type { ControlPlaneAuthorizer, AuthorizationRequest } from './control-plane.js';
export type { LoginValidator, LoginValidators } from './cognito/logins.js';
export type { AccessKey } from './credentials.js';
export type { ChangeEvent, EffectivePolicy } from './store/registry.js';
export type { AuthLogEvent, AuthLogKind } from './broker/auth-log.js';
export { formatAuthLogEvent, parseAuthLog } from './broker/auth-log.js';
export type { SubscribeDeniedMode } from './broker/hooks.js';
export type { Broker } from './broker/broker.js';
export type { PrincipalKey } from './arns.js';
export { certificateKey } from './arns.js';
export { FILES, dataFile, findInstance, probeHealth, readRuntimeInfo, type RuntimeInfo, type InstanceState } from './datadir.js';
export { verifySignature, readSignature, checkSignatureTime, type SignableRequest, type SignatureClaim } from './sigv4.js';
export { localLoginProvider, localUserPoolId } from './cognito/local-login.js';
