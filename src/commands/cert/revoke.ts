import { certificateStatusCommand } from './status.js';

export default certificateStatusCommand('revoke', 'REVOKED');
