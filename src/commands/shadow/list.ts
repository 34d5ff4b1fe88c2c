/** `iotctl shadow list <thing>`: the names of a thing's named shadows (ListNamedShadowsForThing). */
import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { checkConnectionFlags } from '../../mqtt/resolve.js';
import { addHttpsConnectionOptions, dataPlaneFromContext } from '../mqtt-options.js';
import { shadowRef } from '../shadow-options.js';

export default defineCommand({
  declare: (cmd) => addHttpsConnectionOptions(cmd.argument('<thing>', 'thing name')),
  examples: [`iotctl shadow update lamp --auth sigv4 --name config --desired '{"interval": 60}' && iotctl shadow list lamp --auth sigv4`, 'iotctl shadow list lamp --auth sigv4 --json'],
  notes:
    'The classic shadow is not listed (it has no name); a thing without named shadows, or not in the registry, lists none. Every page is read.\nNeeds iot:ListNamedShadowsForThing on thing/<thing>.',
  async run(ctx, [thing], o) {
    const { thingName } = shadowRef(thing, undefined);
    checkConnectionFlags(o);
    const client = await dataPlaneFromContext(ctx, o);
    try {
      const results = await client.listNamedShadows(thingName);
      ctx.out.result({ results }, (r, c) => (r.results.length === 0 ? c.dim(`${thingName} has no named shadows`) : r.results.join('\n')));
    } finally {
      client.close();
    }
    return ExitCode.OK;
  },
});
