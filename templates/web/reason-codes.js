// MQTT 5 reason codes as the page shows them: "0x87 Not authorized".
const NAMES = {
  0x00: 'Success',
  0x04: 'Disconnect with Will Message',
  0x80: 'Unspecified error',
  0x81: 'Malformed Packet',
  0x82: 'Protocol Error',
  0x83: 'Implementation specific error',
  0x84: 'Unsupported Protocol Version',
  0x85: 'Client Identifier not valid',
  0x87: 'Not authorized',
  0x8d: 'Keep Alive timeout',
  0x8e: 'Session taken over',
  0x8f: 'Topic Filter invalid',
  0x90: 'Topic Name invalid',
  0x93: 'Receive Maximum exceeded',
  0x95: 'Packet too large',
  0x97: 'Quota exceeded',
  0x99: 'Payload format invalid',
  0x9b: 'QoS not supported',
  0x9e: 'Shared Subscriptions not supported',
  0xa1: 'Subscription Identifiers not supported',
  0xa2: 'Wildcard Subscriptions not supported',
};

const hex = (code) => `0x${code.toString(16).padStart(2, '0').toUpperCase()}`;

export function reasonText(code) {
  return `${hex(code)} ${NAMES[code] ?? 'unknown reason code'}`;
}
