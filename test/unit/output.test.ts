import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { IotctlError } from '../../src/core/errors.js';
import { Output } from '../../src/io/output.js';
import { formatPairs, formatTable } from '../../src/io/table.js';

function streams(tty: boolean, env: NodeJS.ProcessEnv = {}) {
  const text = { stdout: '', stderr: '' };
  const out = (key: 'stdout' | 'stderr') => ({ isTTY: tty, write: (s: string) => ((text[key] += s), true) });
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  return { text, streams: { stdout: out('stdout'), stderr: out('stderr'), stdin, env } };
}

const options = { json: false, quiet: false, verbose: false, debug: false, color: true };

describe('Output', () => {
  it('refuses to prompt without a TTY and names the flag to pass', async () => {
    const { streams: s } = streams(false);
    const out = await Output.create(s, options);
    const err = await out.prompt({ flag: '--thing-name <name>', message: 'Thing name:' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IotctlError);
    expect((err as IotctlError).exitCode).toBe(2);
    expect((err as IotctlError).message).toBe('Thing name is required.');
    expect((err as IotctlError).hint).toBe('pass --thing-name <name>');
    await expect(out.confirm('Delete everything', '--yes')).rejects.toMatchObject({ hint: 'pass --yes' });
  });

  it('keeps progress off stderr without a TTY, but keeps warnings', async () => {
    const { text, streams: s } = streams(false);
    const out = await Output.create(s, options);
    out.info('connecting...');
    const spinner = await out.spinner('working');
    spinner.succeed();
    out.warn('the private key travels over the network');
    expect(text.stderr).toBe('warning: the private key travels over the network\n');
    expect(text.stdout).toBe('');
  });

  it('--quiet silences warnings, --verbose shows steps', async () => {
    const quiet = streams(false);
    (await Output.create(quiet.streams, { ...options, quiet: true })).warn('x');
    expect(quiet.text.stderr).toBe('');
    const verbose = streams(false);
    await (await Output.create(verbose.streams, { ...options, verbose: true })).spinner('creating the thing');
    expect(verbose.text.stderr).toBe('creating the thing\n');
  });

  it('text() prints a result as it is (a PEM, shell lines), ending in one newline; notice() reaches stderr off a terminal, but not with --quiet', async () => {
    const { text, streams: s } = streams(false);
    const out = await Output.create(s, { ...options, json: true });
    out.text('-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n');
    out.text('export A=1');
    out.text('');
    expect(text.stdout).toBe('-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\nexport A=1\n');
    out.notice('DENIED iot:Publish topic/x');
    expect(text.stderr).toBe('DENIED iot:Publish topic/x\n');
    const quiet = streams(false);
    (await Output.create(quiet.streams, { ...options, quiet: true })).notice('DENIED iot:Publish topic/x');
    expect(quiet.text.stderr).toBe('');
  });

  it('prints one JSON document for a result and one line per record with --json', async () => {
    const { text, streams: s } = streams(true);
    const out = await Output.create(s, { ...options, json: true });
    out.record({ n: 1 }, () => 'one');
    out.record({ n: 2 }, () => 'two');
    expect(text.stdout).toBe('{"n":1}\n{"n":2}\n');
  });

  it('formats errors as one line and a hint, or one JSON line', async () => {
    const human = streams(false);
    (await Output.create(human.streams, options)).error(new IotctlError('X', 'It broke.', { hint: 'try again' }));
    expect(human.text.stderr).toBe('error: It broke.\nhint: try again\n');
    const json = streams(false);
    (await Output.create(json.streams, { ...options, json: true })).error(new IotctlError('X', 'It broke.'));
    expect(JSON.parse(json.text.stderr)).toEqual({ error: { code: 'X', message: 'It broke.', exitCode: 1 } });
  });
});

describe('tables', () => {
  it('aligns columns and pairs', () => {
    expect(formatTable(['NAME', 'STATUS'], [['pi01', 'ACTIVE'], ['sensor-long', 'INACTIVE']])).toBe(
      'NAME         STATUS\npi01         ACTIVE\nsensor-long  INACTIVE',
    );
    expect(formatPairs([['id', 'abc'], ['missing', undefined], ['status', 'ACTIVE']])).toBe('id:     abc\nstatus: ACTIVE');
  });
});
