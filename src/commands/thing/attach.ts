import { thingPrincipalCommand } from './principal.js';

export default thingPrincipalCommand('attach');
