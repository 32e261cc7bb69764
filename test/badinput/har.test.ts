/**
 * Bad traffic: services, analyze and verify against a missing, garbage, empty, truncated HAR and
 * one holding only failed exchanges. Each: exit 1, one line naming the file and what to do, and the
 * work directory (good analysis.json, decisions.json, snapshot/) byte-identical afterwards.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { digestTree, edgstr, expectOneLineError, fx, goodWorkdir, scratch, tempLeftovers } from './helpers.js';

const s = scratch('har');
afterAll(() => s.cleanup());

interface HarCase {
  name: string;
  file: string | null;
  says: RegExp;
}

const cases: HarCase[] = [
  { name: 'missing HAR', file: null, says: /traffic\.har: no HAR file here; record it again with `edgstr record`/ },
  { name: 'garbage HAR', file: 'garbage.har', says: /traffic\.har: HAR file is not valid JSON .*; record it again with `edgstr record`/ },
  { name: 'empty HAR file', file: 'empty.har', says: /traffic\.har: .*empty.*edgstr record|traffic\.har: .*not valid JSON.*edgstr record/ },
  { name: 'truncated HAR', file: 'truncated.har', says: /traffic\.har: HAR file is not valid JSON .*; record it again with `edgstr record`/ },
  { name: 'HAR with only failed exchanges', file: 'failed-only.har', says: /traffic\.har.*no successful exchange.*(edgstr record|record)/ },
];

type Command = 'services' | 'analyze' | 'verify';

function argsFor(cmd: Command, wd: string, out: string): string[] {
  if (cmd === 'services') return ['services', '--workdir', wd];
  if (cmd === 'analyze') return ['analyze', '--app', join(fx, 'apps', 'tiny'), '--workdir', wd];
  return ['verify', '--out', out, '--workdir', wd];
}

describe.each<Command>(['services', 'analyze', 'verify'])('edgstr %s: bad traffic', (cmd) => {
  it.each(cases)('$name', async ({ name, file, says }) => {
    const root = s.dir(`${cmd}-${name.replace(/\W+/g, '-')}`);
    const wd = goodWorkdir(join(root, 'wd'), file);
    const out = join(root, 'out');
    const tmp = s.dir(`${cmd}-${name.replace(/\W+/g, '-')}/tmp`);
    const before = digestTree(wd);
    const r = await edgstr(argsFor(cmd, wd, out), { tmp });
    expectOneLineError(r, says);
    expect(digestTree(wd)).toEqual(before);
    expect(tempLeftovers(wd)).toEqual([]);
    expect(digestTree(tmp)).toEqual({});
    expect(digestTree(out)).toEqual({});
  });
});
