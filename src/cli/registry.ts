import type { CommandModule } from './command.js';

/**
 * Every command, as metadata only: the name, a one-line summary and a loader.
 * `iotctl --help` reads this table and loads no command module (and so neither
 * the AWS SDK nor aws-crt). Add a command here with one line.
 */
export interface VerbSpec {
  name: string;
  summary: string;
  load: () => Promise<CommandModule<any>>;
}

export interface NounSpec {
  name: string;
  summary: string;
  /** Shown in `iotctl <noun> --help`. */
  examples: string[];
  /** A group of verbs (`iotctl config list`), or ... */
  verbs?: VerbSpec[];
  /** ... a single command (`iotctl pub`). */
  load?: () => Promise<CommandModule<any>>;
}

export const COMMANDS: NounSpec[] = [
  {
    name: 'config',
    summary: 'show and change iotctl profiles and settings',
    examples: ['iotctl config list', 'iotctl config set region eu-west-1', 'iotctl config use local'],
    verbs: [
      { name: 'list', summary: 'list profiles and their settings', load: () => import('../commands/config/list.js') },
      { name: 'get', summary: 'print one resolved setting', load: () => import('../commands/config/get.js') },
      { name: 'set', summary: 'set a setting in a profile', load: () => import('../commands/config/set.js') },
      { name: 'unset', summary: 'remove a setting from a profile', load: () => import('../commands/config/unset.js') },
      { name: 'use', summary: 'make a profile the current one', load: () => import('../commands/config/use.js') },
      { name: 'path', summary: 'print the config file path', load: () => import('../commands/config/path.js') },
    ],
  },
];
