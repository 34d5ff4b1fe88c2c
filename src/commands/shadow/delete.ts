/** `iotctl shadow delete <thing>`: deletes a shadow (DeleteThingShadow, or /delete over MQTT). */
import { defineCommand } from '../define.js';
import { describeShadow } from '../../core/shadow/index.js';
import { addShadowOptions, askShadow, shadowRef } from '../shadow-options.js';

export default defineCommand({
  declare: (cmd) => addShadowOptions(cmd),
  examples: [
    `iotctl shadow update lamp --auth sigv4 --name config --reported '{"interval": 60}' && iotctl shadow delete lamp --auth sigv4 --name config`,
    'iotctl shadow delete lamp --auth sigv4 --name config   # exit 4: already deleted',
  ],
  notes:
    "Deleting does not reset the version: a shadow made again within 48 hours continues from it, as on AWS. --json prints AWS's answer ({version, timestamp}).\nHTTPS needs iot:DeleteThingShadow on thing/<thing> (named: thing/<thing>/<shadow>). Exit codes: 0 ok, 2 usage, 3 denied, 4 no such shadow, 5 connection/TLS, 6 no answer (--mqtt).",
  run(ctx, [thing], o) {
    const ref = shadowRef(thing, o.name);
    return askShadow(ctx, o, (channel) => channel.delete(ref), (answer) => `deleted ${describeShadow(ref)} (it was at version ${String(answer.version)})`);
  },
});
