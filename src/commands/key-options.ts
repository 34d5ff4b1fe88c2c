/** The key options `keygen`, `csr create --new-key` and `provision` declare (parsed by identity/keys.ts). */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { hiddenAlias } from './define.js';

export function addKeyTypeOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return hiddenAlias(cmd.option('--key-type <ec|rsa>', 'key type (default ec: P-256, smaller and faster on devices)'), '--type <ec|rsa>', 'keyType')
    .option('--bits <2048|3072|4096>', 'RSA key size (default 2048)')
    .option('--curve <P-256|P-384>', 'EC curve (default P-256; AWS IoT also accepts P-384)')
    .option('--format <pkcs8|sec1|pkcs1>', 'private key PEM format (default pkcs8; sec1 for EC, pkcs1 for RSA)');
}
