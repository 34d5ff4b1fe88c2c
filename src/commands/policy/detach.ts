import { policyAttachmentCommand } from './attachment.js';

export default policyAttachmentCommand('detach', ['iotctl policy detach iotctl-device --principal <certificate id>']);
