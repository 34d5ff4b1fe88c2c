/** `iotctl retained list`: the topics that hold a retained message, over the HTTPS data plane (ListRetainedMessages). */
import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { formatTable } from '../../io/table.js';
import { checkConnectionFlags } from '../../mqtt/resolve.js';
import { addHttpsConnectionOptions, dataPlaneFromContext } from '../mqtt-options.js';

export default defineCommand({
  declare: (cmd) => addHttpsConnectionOptions(cmd),
  examples: ['iotctl retained list --auth sigv4', 'iotctl retained list --auth sigv4 --json'],
  notes: 'Lists topics, payload sizes, QoS and when each was stored; payloads are not read (use iotctl retained get).\nNeeds iot:ListRetainedMessages (resource *).',
  async run(ctx, _args, o) {
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
    return ExitCode.OK;
  },
});
