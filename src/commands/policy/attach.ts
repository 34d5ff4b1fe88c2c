import { policyAttachmentCommand } from './attachment.js';

export default policyAttachmentCommand('attach', [
  'iotctl policy attach iotctl-device --principal <cert ARN>',
  'iotctl policy create app-user --template cognito-user',
  'iotctl policy attach app-user --principal <identity id>',
]);
