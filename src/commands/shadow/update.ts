/** `iotctl shadow update <thing>`: merges desired or reported state (UpdateThingShadow, or /update over MQTT). */
import { defineCommand } from '../define.js';
import { parsePositiveInt } from '../../core/parse.js';
import { readUserFile } from '../../io/files.js';
import { buildUpdateRequest } from '../../shadow/update-request.js';
import { renderAccepted } from '../../shadow/view.js';
import { addShadowOptions, askShadow, shadowRef } from '../shadow-options.js';

export default defineCommand({
  declare: (cmd) =>
    addShadowOptions(cmd)
      .option('--desired <json>', 'merge into the desired state, e.g. \'{"light": "on"}\' (null deletes a key; null alone deletes the section)')
      .option('--reported <json>', 'merge into the reported state (what the device does)')
      .option('--file <file>', 'a whole request document ({"state": {...}, "version": N, "clientToken": "..."})')
      .option('--version <n>', 'only if the shadow is at this version (else 409, exit 1)')
      .option('--client-token <token>', 'echoed in the answer (at most 64 bytes; with --mqtt, one is made up otherwise)'),
  examples: [
    `iotctl shadow update lamp --auth sigv4 --desired '{"light": "on", "color": {"r": 255, "g": 180}}'`,
    `iotctl shadow update lamp --auth sigv4 --reported '{"light": "on"}' --desired '{"color": null}'`,
    `iotctl shadow update lamp --auth sigv4 --desired '{"light": "off"}' --version 1   # exit 1: the shadow is no longer at version 1`,
    `iotctl shadow update pi01 --device ./pi01 --mqtt --reported '{"uptime": 42}' --json`,
  ],
  notes:
    "Only the keys sent change: objects merge key by key, arrays are replaced whole, null deletes. The answer is AWS's accepted document (--json), the new version on a terminal.\nHTTPS needs iot:UpdateThingShadow on thing/<thing> (named: thing/<thing>/<shadow>); --mqtt needs iot:Publish on .../shadow/update and iot:Subscribe and iot:Receive on .../update/accepted and .../update/rejected.\nExit codes: 0 ok, 1 version conflict (re-read with shadow get), 2 usage or a document AWS refuses (over 8 KB, nested deeper than 6), 3 denied, 5 connection/TLS, 6 no answer (--mqtt).",
  async run(ctx, [thing], o) {
    const ref = shadowRef(thing, o.name);
    const request = buildUpdateRequest({
      desired: o.desired,
      reported: o.reported,
      document: o.file === undefined ? undefined : { text: await readUserFile(o.file, 'request document'), file: o.file },
      version: o.version === undefined ? undefined : parsePositiveInt(o.version, '--version', 0),
      clientToken: o.clientToken,
    });
    return askShadow(ctx, o, (channel) => channel.update(ref, request), (accepted, c) => renderAccepted(ref, accepted, c));
  },
});
