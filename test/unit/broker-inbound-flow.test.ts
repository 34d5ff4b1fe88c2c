import { describe, expect, it } from 'vitest';
import { InboundFlow } from '../../src/emulator/broker/inbound-flow.js';

const turn = () => new Promise((r) => setImmediate(r));

describe('publisher backpressure', () => {
  it('passes publishes straight through while the router has room', () => {
    const flow = new InboundFlow({ length: 0 }, 10);
    const order: number[] = [];
    flow.admit(() => order.push(1));
    expect(order).toEqual([1]);
    expect(flow.pending).toBe(0);
  });

  it('holds them past the high-water mark and releases them in arrival order as the queue drains', async () => {
    const queue = { length: 10 };
    const flow = new InboundFlow(queue, 10);
    const order: number[] = [];
    for (const n of [1, 2, 3]) flow.admit(() => order.push(n));
    await turn();
    expect(order).toEqual([]);
    queue.length = 9;
    await turn();
    expect(order).toEqual([1, 2, 3]); // the queue length is not moved by the test, so all may go once there is room
    // A publish arriving while others wait queues behind them, even if there is room by then.
    queue.length = 10;
    flow.admit(() => order.push(4));
    queue.length = 0;
    flow.admit(() => order.push(5));
    expect(order).toEqual([1, 2, 3]);
    await turn();
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});
