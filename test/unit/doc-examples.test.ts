import { describe, expect, it } from 'vitest';
import { callsIotctl, examplesFromHelp, examplesFromMarkdown, parseTags, splitComment } from '../helpers/doc-examples.js';

describe('splitComment', () => {
  it.each([
    ["iotctl sub 'things/#'   # until Ctrl-C", "iotctl sub 'things/#'", 'until Ctrl-C'],
    ['iotctl sub "a/#" --x', 'iotctl sub "a/#" --x', undefined],
    ['iotctl pub a/b x#y', 'iotctl pub a/b x#y', undefined],
    ["echo 'it''s' # c", "echo 'it''s'", 'c'],
    ['echo \\# not a comment', 'echo \\# not a comment', undefined],
  ])('%s', (line, command, comment) => {
    expect(splitComment(line)).toEqual(comment === undefined ? { command } : { command, comment });
  });
});

describe('callsIotctl', () => {
  it.each([
    ['iotctl config list', true],
    ['npx iotctl demo', true],
    ['seq 3 | iotctl pub --lines a', true],
    ['eval "$(iotctl cognito credentials --format env)"', true],
    ['IOTCTL_CONFIG_DIR=/etc/iotctl iotctl config path', true],
    ['a && iotctl thing list', true],
    ['git clone <repo> iotctl && cd iotctl', false],
    ['mosquitto_sub --cafile iotctl/ca.pem', false],
    ['npm install', false],
  ])('%s → %s', (command, expected) => {
    expect(callsIotctl(command)).toBe(expected);
  });
});

describe('parseTags', () => {
  it.each([
    [undefined, {}],
    ['exit 3: DENIED', { exit: 3 }],
    ['until Ctrl-C: follows', { mode: 'interrupt' }],
    ['keeps running', { mode: 'background' }],
    ['needs AWS; exit 1', { mode: 'aws', exit: 1 }],
    ['key + CSR made here, ./pi01/', {}],
    ['the broker: which statement refused it', {}],
  ])('%s', (comment, tags) => {
    expect(parseTags(comment)).toEqual(tags);
  });

  it.each(['exit 0 allowed, 3 denied', 'exit maybe', 'needs aws', 'until ctrl-c'])('"%s" looks like a tag but is not one: a problem', (comment) => {
    expect(parseTags(comment).problem).toMatch(/looks like a tag/);
  });
});

describe('examplesFromMarkdown', () => {
  const doc = (body: string) => examplesFromMarkdown('x.md', body);

  it('takes every command of a sh block that calls iotctl, with its line, tags and placeholders', () => {
    const { examples, problems } = doc(
      ['# title', '', '```sh', '# a comment line', 'iotctl a   # exit 4: none', 'printf x > f', 'iotctl sub t &   # note', "iotctl b \\", "  --c <pool id>", '```'].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(examples.map((e) => [e.where, e.command, e.mode, e.exit, e.callsIotctl, e.placeholders])).toEqual([
      ['x.md:5', 'iotctl a', 'run', 4, true, []],
      ['x.md:6', 'printf x > f', 'run', 0, false, []],
      ['x.md:7', 'iotctl sub t', 'background', 130, true, []],
      ['x.md:8', 'iotctl b --c <pool id>', 'run', 0, true, ['<pool id>']],
    ]);
  });

  it('in a console block, only $ lines are commands', () => {
    const { examples } = doc(['```console', '$ iotctl a   # until Ctrl-C', 'output iotctl b', '$ iotctl c', '```'].join('\n'));
    expect(examples.map((e) => [e.command, e.mode, e.exit])).toEqual([
      ['iotctl a', 'interrupt', 130],
      ['iotctl c', 'run', 0],
    ]);
  });

  it('does not run other languages, nor sh blocks that never call iotctl', () => {
    const { examples, problems } = doc(['```text', 'iotctl a', '```', '```json', '{}', '```', '```sh', 'npm test', 'aws iot list-things', '```'].join('\n'));
    expect(examples).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('a block without a language that mentions iotctl is a problem', () => {
    expect(doc(['```', 'iotctl a', '```'].join('\n')).problems).toEqual([expect.stringMatching(/^x\.md:1: .*needs a language/)]);
  });

  it('a tag that does not parse is a problem, with where it is', () => {
    expect(doc(['```sh', 'iotctl a  # exit soon', '```'].join('\n')).problems).toEqual([expect.stringMatching(/^x\.md:2: "# exit soon" looks like a tag/)]);
  });
});

describe('examplesFromHelp', () => {
  const help = 'Usage: iotctl x\n\nOptions:\n  -h  help\n\nExamples:\n  $ iotctl x a\n  $ iotctl x b   # exit 3: no\n\nExit codes: 0 ok\n';

  it('reads the $ lines of the Examples section', () => {
    const { examples, problems } = examplesFromHelp('x', help);
    expect(problems).toEqual([]);
    expect(examples.map((e) => [e.document, e.command, e.exit])).toEqual([
      ['iotctl x --help', 'iotctl x a', 0],
      ['iotctl x --help', 'iotctl x b', 3],
    ]);
  });

  it('an example that does not call iotctl, or no Examples section, is a problem', () => {
    expect(examplesFromHelp('x', 'Examples:\n  $ key = iotctl x\n').problems).toEqual([expect.stringMatching(/does not call iotctl/)]);
    expect(examplesFromHelp('x', 'Usage: iotctl x\n').problems).toEqual(['iotctl x --help: no Examples section']);
  });
});
