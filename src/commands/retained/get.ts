/** `iotctl retained get <topic>`: one retained message, over the HTTPS data plane (GetRetainedMessage). */
import { defineCommand } from '../define.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { checkTopicName } from '../../core/topic.js';
import { checkConnectionFlags } from '../../mqtt/resolve.js';
import { addHttpsConnectionOptions, dataPlaneFromContext } from '../mqtt-options.js';

export default defineCommand({
  declare: (cmd) => addHttpsConnectionOptions(cmd.argument('<topic>', 'the topic of the retained message (no wildcards)')),
  examples: [
    `iotctl pub --http --auth sigv4 --retain sensors/demo/config '{"interval": 60}' && iotctl retained get --auth sigv4 sensors/demo/config`,
    'iotctl retained get --auth sigv4 sensors/demo/config --json',
    'iotctl retained get --auth sigv4 sensors/none   # exit 4: no retained message there',
  ],
  notes:
    'Prints the payload (binary payloads as base64); --json adds the topic, QoS and when it was stored.\nNeeds iot:GetRetainedMessage on the topic. Exit codes: 0 ok, 2 usage, 3 denied, 4 no retained message, 5 connection/TLS.',
  async run(ctx, [topic], o) {
    const problem = checkTopicName(topic);
    if (problem) throw usageError(problem.code, problem.message, problem.code === 'TOPIC_WILDCARD' ? 'list the topics that have one with: iotctl retained list' : undefined);
    checkConnectionFlags(o);
    const client = await dataPlaneFromContext(ctx, o);
    try {
      const message = await client.getRetained(topic);
      const { classifyPayload } = await import('../../messaging/payload.js');
      const c = classifyPayload(message.payload);
      const record = {
        topic: message.topic,
        qos: message.qos,
        lastModified: message.lastModifiedTime === undefined ? undefined : new Date(message.lastModifiedTime).toISOString(),
        payload: c.kind === 'json' ? c.value : c.kind === 'utf8' ? c.text : message.payload.toString('base64'),
        encoding: c.kind === 'binary' ? 'base64' : c.kind,
      };
      if (c.kind === 'binary') ctx.out.info(`the payload is binary (${message.payload.length} bytes); printed as base64`);
      ctx.out.result(record, () => (c.kind === 'binary' ? String(record.payload) : c.text));
    } finally {
      client.close();
    }
    return ExitCode.OK;
  },
});
