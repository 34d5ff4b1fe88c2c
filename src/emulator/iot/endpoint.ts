/** DescribeEndpoint. */
import type { Route } from '../http/router.js';
import type { ServiceContext, ServiceRequest } from '../http/types.js';
import { oneOf } from '../validate.js';

const ENDPOINT_TYPES = ['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs'] as const;

/**
 * Every endpoint type answers the emulator's own host (e.g. 127.0.0.1): AWS
 * returns a bare host name, so clients connect to it with their configured
 * port (iotctl's `mqtt-port`/`ws-port` settings from the `local` profile).
 * The local CA's server certificate names this host, so TLS verification passes.
 */
function describeEndpoint(req: ServiceRequest, ctx: ServiceContext) {
  oneOf(req.query.get('endpointType'), 'endpointType', ENDPOINT_TYPES);
  return { endpointAddress: ctx.dataHost };
}

export const endpointRoutes: Route[] = [
  { method: 'GET', path: '/endpoint', operation: 'DescribeEndpoint', handler: describeEndpoint },
];
