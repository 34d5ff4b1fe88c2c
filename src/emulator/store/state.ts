/**
 * StateStore: the registry plus durability. Every change goes through
 * mutate(): the change is applied synchronously (so concurrent requests are
 * serialised by the event loop, and check-then-act is atomic), then made
 * durable; the caller answers only after that.
 */
import { EventEmitter } from 'node:events';
import type { Arns } from '../arns.js';
import { Registry, type ChangeEvent } from './registry.js';
import { GroupCommit, type SnapshotStorage } from './persistence.js';

export class StateStore {
  /** 'change' (ChangeEvent), emitted after the change is durable. */
  readonly changes = new EventEmitter();
  private readonly committer: GroupCommit;

  private constructor(
    readonly registry: Registry,
    private readonly storage: SnapshotStorage,
  ) {
    this.committer = new GroupCommit(() => this.storage.save(this.registry.toSnapshot()));
  }

  static async open(arns: Arns, storage: SnapshotStorage): Promise<StateStore> {
    const snapshot = await storage.load();
    return new StateStore(snapshot ? Registry.fromSnapshot(arns, snapshot) : new Registry(arns), storage);
  }

  /** Applies `change` to the registry and resolves with its result once it is durable. */
  async mutate<T>(change: (registry: Registry) => T): Promise<T> {
    let result: T;
    try {
      result = change(this.registry);
    } catch (err) {
      this.registry.takeEvents();
      throw err;
    }
    const events: ChangeEvent[] = this.registry.takeEvents();
    if (this.storage.persistent) await this.committer.commit();
    for (const event of events) this.changes.emit('change', event);
    return result;
  }

  /** Waits for a write in progress. */
  flush(): Promise<void> {
    return this.committer.idle();
  }
}
