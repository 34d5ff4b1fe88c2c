// Preloaded with `node --import` to record every module a command loads (the
// file named by IOTCTL_TRACE_IMPORTS). Used to prove that `--help` loads
// neither the AWS SDK nor aws-crt.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.IOTCTL_TRACE_IMPORTS) appendFileSync(process.env.IOTCTL_TRACE_IMPORTS, result.url + '\\n');
  return result;
}`),
);
