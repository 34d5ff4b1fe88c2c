import { certificateStatusCommand } from './status.js';

export default certificateStatusCommand('activate', 'ACTIVE');
