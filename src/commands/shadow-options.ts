/**
 * What the `iotctl shadow` commands share: the thing and `--name`, the HTTPS
 * connection options (the REST API is the default), `--mqtt` for the
 * reserved topics instead, and how the context opens either channel.
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { Context } from './context.js';
import { SHADOW_NAME, THING_NAME } from '../core/names.js';
import { requireName } from '../core/parse.js';
import type { ShadowRef } from '../core/shadow/index.js';
import { ExitCode } from '../core/errors.js';
import type { Colors } from '../io/colors.js';
import { checkConnectionFlags, type ConnectionFlags } from '../mqtt/resolve.js';
import type { ShadowChannel } from '../shadow/channel.js';
import { addHttpsConnectionOptions, connector, dataPlaneFromContext, resolveFromContext } from './mqtt-options.js';

/** An answer on the reserved topics that does not come within this long is exit 6 (unless request-timeout says otherwise). */
const MQTT_ANSWER_TIMEOUT_MS = 10_000;

export function addShadowArguments<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd.argument('<thing>', 'thing name').option('--name <shadow>', 'a named shadow (default: the classic, unnamed shadow)');
}

/** The thing, --name, and the HTTPS connection options; with `mqtt`, also --mqtt [version], --client-id and --driver. */
export function addShadowOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return addHttpsConnectionOptions(addShadowArguments(cmd))
    .option('--mqtt [version]', 'ask over the MQTT reserved topics ($aws/things/<thing>/shadow/...) instead of HTTPS: MQTT 5 (the default) or 3 (3.1.1)')
    .option('--client-id <id>', "--mqtt: MQTT client id (default: the device's thing name with -shadow-<random>, the Cognito identity id, else iotctl-<random>)")
    .option('--driver <name>', '--mqtt: MQTT client library: crt (AWS IoT Device SDK) or js (MQTT.js)');
}

/** The shadow a command names, checked against AWS's name rules (a usage error before anything is sent). */
export function shadowRef(thing: string, name: string | undefined): ShadowRef {
  requireName(THING_NAME, thing);
  if (name === undefined) return { thingName: thing };
  return { thingName: thing, shadowName: requireName(SHADOW_NAME, name) };
}

export type ShadowFlags = Omit<ConnectionFlags, 'mqtt'> & { mqtt?: string | boolean };

/** The MQTT version asked for, or undefined for HTTPS. */
const mqttVersion = (o: ShadowFlags): string | undefined => (o.mqtt === undefined || o.mqtt === false ? undefined : o.mqtt === true ? '5' : o.mqtt);

/** Whether the command goes over MQTT. */
export const overMqtt = (o: ShadowFlags) => mqttVersion(o) !== undefined;

/** The flags as the MQTT resolution reads them (`--mqtt` alone means MQTT 5). */
export const mqttFlags = (o: ShadowFlags): ConnectionFlags => ({ ...o, mqtt: mqttVersion(o) });

/** Runs `ask` on a channel to the Device Shadow service (closed after it), and prints its answer through `show`. */
export async function askShadow<T>(ctx: Context, o: ShadowFlags, ask: (channel: ShadowChannel) => Promise<T>, show: (answer: T, c: Colors) => string): Promise<ExitCode> {
  checkConnectionFlags(mqttFlags(o));
  const channel = await openShadowChannel(ctx, o);
  try {
    ctx.out.result(await ask(channel), show);
  } finally {
    await channel.close();
  }
  return ExitCode.OK;
}

/** A channel to the Device Shadow service: the REST API, or with --mqtt a session on the reserved topics. */
async function openShadowChannel(ctx: Context, o: ShadowFlags): Promise<ShadowChannel> {
  const { httpChannel, mqttChannel } = await import('../shadow/channel.js');
  if (!overMqtt(o)) {
    if (o.clientId !== undefined || o.driver !== undefined) {
      const { usageError } = await import('../core/errors.js');
      throw usageError('MQTT_FLAG_WITHOUT_MQTT', `${o.clientId !== undefined ? '--client-id' : '--driver'} goes with --mqtt (the REST API has no client id).`, 'add --mqtt, or leave it out');
    }
    return httpChannel(await dataPlaneFromContext(ctx, { ...o, mqtt: undefined }));
  }
  const spec = await resolveFromContext(ctx, mqttFlags(o), { role: 'shadow' });
  const target = await ctx.awsTarget();
  const { connectionWords } = await import('../mqtt/diagnostics.js');
  return mqttChannel(await connector(ctx, spec)(), target.requestTimeoutMs ?? MQTT_ANSWER_TIMEOUT_MS, connectionWords(spec));
}
