import { DescribeEndpointCommand, type IoTClient } from '@aws-sdk/client-iot';

/** The account's MQTT data endpoint (DescribeEndpoint iot:Data-ATS: the one Amazon's root CAs sign). */
export async function dataEndpoint(iot: IoTClient): Promise<string> {
  const found = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
  if (!found.endpointAddress) throw new Error('DescribeEndpoint returned no address');
  return found.endpointAddress;
}
