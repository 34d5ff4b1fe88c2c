/**
 * The seam between a session (session.ts) and an MQTT client library. Two
 * drivers implement it: driver-crt.ts (the AWS IoT Device SDK v2 on aws-crt,
 * the default) and driver-js.ts (MQTT.js, pure JavaScript, for machines
 * aws-crt has no binary for, such as 32-bit ARM). A driver is one connection;
 * it never reconnects. Session builds diagnostics, exit codes, QoS 0 flushes
 * and backpressure on these events, so both drivers report them with the same
 * meaning, and failures in the CRT's vocabulary (error names such as
 * AWS_IO_SOCKET_CONNECTION_REFUSED), which diagnostics.ts knows.
 */
import type { IncomingMessage, OutgoingMessage, QoS } from './types.js';

/** What the SDK reported, before diagnosis. */
export interface DriverFailure {
  /** CRT error name, e.g. AWS_IO_SOCKET_CONNECTION_REFUSED (the JS driver maps its errors to these). */
  name?: string;
  message: string;
  /** MQTT 5 CONNACK refusal. */
  connack?: { code: number; reasonString?: string };
  /** MQTT 5 DISCONNECT from the server. */
  disconnect?: { code: number; reasonString?: string };
  /** The SigV4 credentials could not be resolved. */
  credentialsError?: unknown;
}

export interface DriverEvents {
  message(message: IncomingMessage): void;
  /** The connection dropped after CONNACK (once). */
  lost(failure: DriverFailure): void;
}

export interface AckResult {
  /** MQTT 5 reason code (PUBACK/SUBACK); 3.1.1 SUBACK: granted QoS or 128. */
  code: number;
  reasonString?: string;
}

/** Called once per publish: an error, or the acknowledgement (QoS 0: when written). */
export type PublishCallback = (error: unknown, ack?: AckResult) => void;

export interface Driver {
  /** Resolves on CONNACK success; rejects with a DriverFailure. */
  connect(): Promise<{ sessionPresent: boolean }>;
  /** A callback, not a promise: pub --lines calls this per line, and every promise saved counts. */
  publish(message: OutgoingMessage, done: PublishCallback): void;
  subscribe(filter: string, qos: QoS): Promise<AckResult>;
  /** Resolves once the broker has processed everything sent before (an UNSUBSCRIBE round trip). */
  flush(): Promise<void>;
  /** Clean DISCONNECT when connected, then release the native client. */
  stop(): Promise<void>;
  /** Give up on a pending connect (it cannot be cancelled natively). */
  abandon(): void;
}

/**
 * flush() unsubscribes from a filter this client never subscribed to: a no-op
 * for the broker that still gets an UNSUBACK, after everything sent before it
 * (MQTT brokers handle a connection's packets in order). No policy covers
 * UNSUBSCRIBE in AWS IoT, and no other client sees it.
 */
export const FLUSH_FILTER = 'iotctl/flush';
