/** `iotctl shadow get <thing>`: a shadow's document (GetThingShadow, or /get over MQTT). */
import { defineCommand } from '../define.js';
import { renderDocument } from '../../shadow/view.js';
import { addShadowOptions, askShadow, shadowRef } from '../shadow-options.js';

export default defineCommand({
  declare: (cmd) => addShadowOptions(cmd),
  examples: [
    `iotctl shadow update lamp --auth sigv4 --desired '{"light": "on"}' && iotctl shadow get lamp --auth sigv4`,
    'iotctl shadow get lamp --auth sigv4 --json',
    'iotctl shadow get pi01 --device ./pi01 --mqtt   # exit 4: pi01 has no shadow yet',
  ],
  notes:
    "On a terminal: desired, reported and delta side by side, and whether the device is in sync. --json prints AWS's document (state with delta, metadata, version, timestamp).\nHTTPS needs iot:GetThingShadow on thing/<thing> (named: thing/<thing>/<shadow>); --mqtt needs iot:Publish on .../shadow/get and iot:Subscribe and iot:Receive on .../get/accepted and .../get/rejected.\nExit codes: 0 ok, 2 usage, 3 denied, 4 no such shadow, 5 connection/TLS, 6 no answer (--mqtt).",
  run(ctx, [thing], o) {
    const ref = shadowRef(thing, o.name);
    return askShadow(ctx, o, (channel) => channel.get(ref), (document, c) => renderDocument(ref, document, c));
  },
});
