import os from 'node:os';
import path from 'node:path';

/** The config directory: $IOTCTL_CONFIG_DIR, else $XDG_CONFIG_HOME/iotctl, else ~/.config/iotctl. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.IOTCTL_CONFIG_DIR) return path.resolve(env.IOTCTL_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'iotctl');
}

export function configFile(env: NodeJS.ProcessEnv): string {
  return path.join(configDir(env), 'config.json');
}

/** Persistent state (the local IoT Core's data): $IOTCTL_DATA_DIR, else $XDG_DATA_HOME/iotctl, else ~/.local/share/iotctl. */
export function dataDir(env: NodeJS.ProcessEnv): string {
  if (env.IOTCTL_DATA_DIR) return path.resolve(env.IOTCTL_DATA_DIR);
  const base = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'iotctl');
}
