import { policyTestCommand } from './test.js';

export default policyTestCommand('explain');
