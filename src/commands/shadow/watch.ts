/** `iotctl shadow watch <thing>`: follows a shadow's updates, deltas and deletes over MQTT until Ctrl-C. */
import { defineCommand } from '../define.js';
import { checkConnectionFlags } from '../../mqtt/resolve.js';
import { FOLLOW_KEEP_ALIVE_SECONDS, followTopics } from '../follow.js';
import { addConnectionOptions, resolveFromContext } from '../mqtt-options.js';
import { addShadowArguments, shadowRef } from '../shadow-options.js';

export default defineCommand({
  declare: (cmd) => addConnectionOptions(addShadowArguments(cmd)),
  examples: [
    'iotctl shadow watch lamp --auth sigv4   # until Ctrl-C',
    'iotctl shadow watch pi01 --device ./pi01 --json >> pi01-shadow.ndjson   # until Ctrl-C',
  ],
  notes:
    'Subscribes to update/documents, update/delta and delete/accepted of the shadow. On a terminal: after every update, desired, reported and delta side by side; each delta and delete on a line. Piped or with --json: one JSON object per event, {event, thingName, shadowName, receivedAt, document}, where event is documents, delta or deleted and document is what AWS published.\nReconnects with backoff like tail; Ctrl-C exits 130. Needs iot:Subscribe and iot:Receive on those topics. Exit codes: 2 usage, 3 denied, 5 connection/TLS (before the first connection).',
  async run(ctx, [thing], o) {
    const ref = shadowRef(thing, o.name);
    checkConnectionFlags(o);
    const { watchFilters, watchRenderer } = await import('../../shadow/watch.js');
    return followTopics(
      ctx,
      () => resolveFromContext(ctx, o, { keepAliveSeconds: FOLLOW_KEEP_ALIVE_SECONDS, role: 'shadow' }),
      { filters: watchFilters(ref), qos: 1 },
      {},
      (output) => watchRenderer(ref, output.toTerminal && !ctx.globals.json ? ctx.out.c : undefined),
    );
  },
});
