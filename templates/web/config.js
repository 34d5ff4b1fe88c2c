// Where the app finds AWS: the one file to edit for your AWS account.
// `iotctl local start --web` serves its own /config.js for the local IoT Core
// instead of this one (see docs/web.md, "Run it against AWS").
export default {
  region: 'us-east-1',
  // A Cognito identity pool that lets guests in and lists your user pool as a provider:
  // iotctl cognito pool create web --allow-unauthenticated --login-provider cognito-idp.<region>.amazonaws.com/<user pool id>=<app client id>
  identityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000',
  // A Cognito user pool and an app client without a secret that allows USER_PASSWORD_AUTH.
  userPool: { id: 'us-east-1_XXXXXXXXX', clientId: 'xxxxxxxxxxxxxxxxxxxxxxxxxx' },
  // Your iot:Data-ATS endpoint (aws iot describe-endpoint --endpoint-type iot:Data-ATS), path /mqtt.
  iotEndpoint: 'wss://xxxxxxxxxxxxxx-ats.iot.us-east-1.amazonaws.com/mqtt',
  // The on-demand registration function (templates/lambda/on-demand-registration) behind API Gateway
  // with IAM authorization; '' to skip it (then register users with: iotctl cognito register --template web-user).
  registerUrl: 'https://xxxxxxxxxx.execute-api.us-east-1.amazonaws.com/prod/register',
  // The thing whose shadow the lamp button changes, and the topics everyone may read.
  lamp: 'lamp-1',
  publicTopics: 'public/#',
};
