/** `iotctl tail <filter...>`: follow topics until Ctrl-C, reconnecting as needed. */
import { defineCommand } from './define.js';
import { checkConnectionFlags } from '../mqtt/resolve.js';
import { FOLLOW_KEEP_ALIVE_SECONDS, followTopics } from './follow.js';
import { addConnectionOptions, checkFilters, parseQos, resolveFromContext } from './mqtt-options.js';
import { addOutputOptions } from './output-options.js';

export default defineCommand({
  declare: (cmd) =>
    addConnectionOptions(addOutputOptions(cmd.argument('<filter...>', 'topic filters (+ matches one level, # the rest)').option('--qos <qos>', 'maximum QoS to receive with: 0 or 1', '0'))),
  examples: [
    "iotctl tail --device ./pi01 'things/pi01/#'   # until Ctrl-C",
    "iotctl tail --auth sigv4 '$aws/things/+/shadow/update/accepted' --json >> shadow-updates.ndjson   # until Ctrl-C",
    "iotctl --profile local tail --auth sigv4 '#'   # until Ctrl-C",
  ],
  notes:
    'Reconnects with exponential backoff (and jitter) and resubscribes; on a terminal a status line on stderr shows the state and messages per second.\nCtrl-C disconnects cleanly and exits 130. Other exit codes: 2 usage error, 3 denied or subscription refused, 5 connection/TLS (before the first connection).',
  async run(ctx, [filters], o) {
    checkFilters(filters);
    const qos = parseQos(o.qos);
    checkConnectionFlags(o);
    return followTopics(ctx, () => resolveFromContext(ctx, o, { keepAliveSeconds: FOLLOW_KEEP_ALIVE_SECONDS, role: 'tail' }), { filters, qos }, o);
  },
});
