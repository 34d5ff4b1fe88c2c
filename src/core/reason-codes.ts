/**
 * MQTT reason codes in words. MQTT 5 reuses one number space across packets
 * (a few codes mean different things in different packets); 3.1.1 has its own
 * CONNACK return codes and a single SUBACK failure value (0x80).
 */

export type PacketKind = 'CONNACK' | 'PUBACK' | 'SUBACK' | 'UNSUBACK' | 'DISCONNECT';

/** The MQTT 5 reason codes AWS IoT Core (and the local IoT Core) sends, by name. */
export const ReasonCode = {
  Success: 0x00,
  UnspecifiedError: 0x80,
  ClientIdentifierNotValid: 0x85,
  NotAuthorized: 0x87,
  ServerShuttingDown: 0x8b,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  QuotaExceeded: 0x97,
  QosNotSupported: 0x9b,
  SubscriptionIdentifiersNotSupported: 0xa1,
} as const;

/** MQTT 3.1.1's only SUBACK failure value. */
export const SUBACK_FAILURE_311 = 0x80;

const COMMON: Record<number, string> = {
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation-specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8b: 'server shutting down',
  0x8c: 'bad authentication method',
  0x8d: 'keep alive timeout',
  0x8e: 'session taken over (another connection used the same client id)',
  0x8f: 'topic filter invalid',
  0x90: 'topic name invalid',
  0x91: 'packet identifier in use',
  0x92: 'packet identifier not found',
  0x93: 'receive maximum exceeded',
  0x94: 'topic alias invalid',
  0x95: 'packet too large',
  0x96: 'message rate too high',
  0x97: 'quota exceeded',
  0x98: 'administrative action',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9e: 'shared subscriptions not supported',
  0x9f: 'connection rate exceeded',
  0xa0: 'maximum connect time',
  0xa1: 'subscription identifiers not supported',
  0xa2: 'wildcard subscriptions not supported',
};

const SUCCESS: Record<PacketKind, Record<number, string>> = {
  CONNACK: { 0x00: 'success' },
  PUBACK: { 0x00: 'success', 0x10: 'no matching subscribers' },
  SUBACK: { 0x00: 'granted QoS 0', 0x01: 'granted QoS 1', 0x02: 'granted QoS 2' },
  UNSUBACK: { 0x00: 'success', 0x11: 'no subscription existed' },
  DISCONNECT: { 0x00: 'normal disconnection', 0x04: 'disconnect with will message' },
};

/** MQTT 3.1.1 CONNACK return codes. */
const CONNACK_311: Record<number, string> = {
  0: 'connection accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

function hex(code: number): string {
  return '0x' + code.toString(16).padStart(2, '0');
}

/** "not authorized (0x87)". */
export function reasonText(code: number, packet: PacketKind): string {
  const words = (code < 0x80 ? SUCCESS[packet][code] : COMMON[code]) ?? 'unknown reason code';
  return `${words} (${hex(code)})`;
}

export function connackText311(code: number): string {
  return `${CONNACK_311[code] ?? 'unknown return code'} (${code})`;
}

/** Codes below 0x80 are successes in every MQTT 5 acknowledgement. */
export function isFailure(code: number): boolean {
  return code >= 0x80;
}

/** Reason codes that mean "the server's policy said no". */
export function isAuthorizationFailure(code: number): boolean {
  return code === 0x87 || code === 0x86 || code === 0x8a;
}
