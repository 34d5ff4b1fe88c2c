import { defineCommand } from '../define.js';
import { ExitCode } from '../../core/errors.js';
import { readPolicyFile } from '../../policy-documents/files.js';

export default defineCommand({
  declare: (cmd) =>
    cmd
      .argument('<file>', 'policy document (JSON); - reads stdin')
      .option('--iam', 'check an IAM role policy (e.g. a Cognito role) instead of an AWS IoT policy: 6,144-character limit, no IoT lint'),
  examples: [
    'iotctl policy render device --out device-policy.json',
    'iotctl policy validate device-policy.json',
    'iotctl policy render home --param homeId=h1 | iotctl policy validate -',
    'iotctl policy validate device-policy.json --json',
  ],
  notes: 'Exit codes: 0 valid (warnings allowed), 2 invalid.',
  async run(ctx, [name], o) {
    const kind = o.iam ? 'iam' : 'iot';
    const file = await readPolicyFile(name, ctx.streams.stdin, kind);
    const { parsed } = file;
    const result = {
      file: file.name,
      kind,
      valid: parsed.errors.length === 0,
      size: parsed.size,
      maxSize: parsed.maxSize,
      statements: parsed.statements.length,
      errors: parsed.errors,
      warnings: file.warnings,
    };
    ctx.out.result(result, (r, c) => {
      const lines: string[] = [];
      for (const e of r.errors) lines.push(`${c.red('error:')} ${e.message}`);
      for (const w of r.warnings) {
        const label = w.severity === 'warning' ? c.yellow('warning:') : c.cyan('note:');
        lines.push(`${label} ${w.path ? w.path + ': ' : ''}${w.message}`);
      }
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
      const notes = r.warnings.filter((w) => w.severity === 'note').length;
      const summary = r.valid
        ? `${c.green('valid')}: ${count(r.statements, 'statement')}, ${r.size} of ${r.maxSize} characters, ${count(r.warnings.length - notes, 'warning')}${notes ? `, ${count(notes, 'note')}` : ''}`
        : `${c.red('invalid')}: ${count(r.errors.length, 'error')}`;
      lines.push(`${r.file}: ${summary}`);
      return lines.join('\n');
    });
    return result.valid ? ExitCode.OK : ExitCode.USAGE;
  },
});
