/**
 * `pub --http`'s channel for runPub (messaging/publish.ts): messages go out
 * one request at a time over the client's one kept-alive connection, in the
 * order they were sent; each one's `done` is called when its HTTP answer
 * arrives (a 200 is the acknowledgement, for QoS 0 and 1 alike). After the
 * first failure nothing more is sent: the messages still waiting fail with it.
 */
import { IotctlError } from '../core/errors.js';
import type { PublishChannel } from '../messaging/publish.js';
import type { OutgoingMessage } from '../mqtt/types.js';
import type { DataPlaneClient } from './client.js';

interface Queued {
  message: OutgoingMessage;
  done: (error?: IotctlError) => void;
}

export class HttpPublisher implements PublishChannel {
  /** HTTP has no client id: `{{clientId}}` in a message template renders empty. */
  readonly info: PublishChannel['info'];
  private queue: Queued[] = [];
  private head = 0;
  private draining: Promise<void> | undefined;
  private failure: IotctlError | undefined;

  constructor(private readonly client: DataPlaneClient) {
    this.info = { endpoint: client.spec.endpoint, clientId: '' };
  }

  send(message: OutgoingMessage, done: (error?: IotctlError) => void): void {
    if (this.failure) return done(this.failure);
    this.queue.push({ message, done });
    this.draining ??= this.drain();
  }

  publish(message: OutgoingMessage): Promise<void> {
    return new Promise((resolve, reject) => this.send(message, (e) => (e ? reject(e) : resolve())));
  }

  /** Resolves once every message sent so far has its answer. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.head < this.queue.length) {
      const item = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      if (this.failure) {
        item.done(this.failure);
        continue;
      }
      try {
        await this.client.publish(item.message);
        item.done();
      } catch (err) {
        this.failure = err instanceof IotctlError ? err : new IotctlError('PUBLISH_FAILED', (err as Error).message, { cause: err });
        item.done(this.failure);
      }
    }
    this.queue = [];
    this.head = 0;
    this.draining = undefined;
  }
}
