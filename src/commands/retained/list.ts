/** `iotctl retained list`: the topics that hold a retained message, over the HTTPS data plane (ListRetainedMessages). */
import type { Command } from 'commander';
import { examples } from '../../cli/command.js';
import type { Context } from '../../cli/context.js';
import { formatTable } from '../../io/table.js';
import type { ConnectionFlags } from '../../mqtt/resolve.js';
import { checkConnectionFlags } from '../../mqtt/resolve.js';
import { addConnectionOptions, dataPlaneFromContext } from '../mqtt-options.js';

export function configure(cmd: Command): void {
  addConnectionOptions(cmd, 'https');
  examples(cmd, ['iotctl retained list --auth sigv4', 'iotctl retained list --auth sigv4 --json']);
  cmd.addHelpText('after', '\nLists topics, payload sizes, QoS and when each was stored; payloads are not read (use iotctl retained get).\nNeeds iot:ListRetainedMessages (resource *).');
}

export async function run(ctx: Context, _args: unknown[], o: ConnectionFlags): Promise<number> {
  checkConnectionFlags(o);
  const client = await dataPlaneFromContext(ctx, o);
  try {
    const summaries = await client.listRetained();
    const retainedTopics = summaries.map((m) => ({
      topic: m.topic,
      qos: m.qos,
      payloadSize: m.payloadSize,
      lastModified: m.lastModifiedTime === undefined ? undefined : new Date(m.lastModifiedTime).toISOString(),
    }));
    ctx.out.result({ retainedTopics }, (r, c) =>
      r.retainedTopics.length === 0
        ? c.dim('no retained messages')
        : formatTable(
            ['TOPIC', 'QOS', 'BYTES', 'STORED'],
            r.retainedTopics.map((m) => [m.topic, String(m.qos), String(m.payloadSize), m.lastModified ?? '']),
          ),
    );
  } finally {
    client.close();
  }
  return 0;
}
