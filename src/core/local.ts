/** What the local IoT Core's unsigned health route (GET /_local/health) names itself, so iotctl can ask an endpoint who it is. */
export const LOCAL_IOT_CORE_SERVICE = 'iotctl-local-iot-core';
