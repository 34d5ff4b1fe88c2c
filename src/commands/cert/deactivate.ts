import { certificateStatusCommand } from './status.js';

export default certificateStatusCommand('deactivate', 'INACTIVE');
