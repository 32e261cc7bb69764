import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initFile, keepFilesMadeAtStart } from '../../src/analyze/workspace/init-files.js';
import { appDirCandidates, trafficFileFor, type Analysis } from '../../src/model/analysis.js';

const root = mkdtempSync(join(tmpdir(), 'edgstr-analysis-paths-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function analysis(extra: Partial<Analysis> & { app?: Analysis['app'] }): Analysis {
  return { schemaVersion: 1, app: { dir: 'my-app', start: 'node x.js', port: 3000 }, services: [], ...extra };
}

describe('analysis.json: the app and the traffic from any directory', () => {
  it('looks for the app at its absolute folder first, then at dir as given', () => {
    const a = analysis({ app: { dir: 'my-app', absoluteDir: '/srv/my-app', start: 'node x.js', port: 3000 } });
    expect(appDirCandidates(a, '/work/.edgstr')[0]).toBe('/srv/my-app');
    expect(appDirCandidates(analysis({}), '/work/.edgstr')).toContain('/work/my-app');
  });

  it('replays --traffic, else the traffic analyze used while it exists, else <workdir>/traffic.har', () => {
    const workdir = join(root, 'wd');
    mkdirSync(workdir, { recursive: true });
    expect(trafficFileFor(workdir)).toBe(join(workdir, 'traffic.har'));
    const used = join(root, 'elsewhere.har');
    writeFileSync(join(workdir, 'analysis.json'), JSON.stringify(analysis({ traffic: used })));
    expect(trafficFileFor(workdir)).toBe(join(workdir, 'traffic.har')); // gone: the default
    writeFileSync(used, '{}');
    expect(trafficFileFor(workdir)).toBe(used);
    expect(trafficFileFor(workdir, join(root, 'given.har'))).toBe(join(root, 'given.har'));
  });
});

describe('analyze: files the app makes at start are init state', () => {
  it('keeps the files changed since the start (not node_modules), and prefers them to the app folder', () => {
    const copy = join(root, 'copy');
    const app = join(root, 'app');
    for (const d of [join(copy, 'uploads'), join(copy, 'node_modules', 'x'), app]) mkdirSync(d, { recursive: true });
    writeFileSync(join(copy, 'server.js'), '');
    writeFileSync(join(app, 'notice.txt'), 'app');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(copy, 'server.js'), old, old);
    const since = Date.now() - 1_000;
    writeFileSync(join(copy, 'uploads', 'lamp.svg'), '<svg/>');
    writeFileSync(join(copy, 'node_modules', 'x', 'cache.json'), '{}');
    const kept = join(root, 'kept');
    expect(keepFilesMadeAtStart(copy, since, kept)).toEqual(['uploads/lamp.svg']);
    expect(initFile(app, kept, 'uploads/lamp.svg')).toBe(join(kept, 'uploads', 'lamp.svg'));
    expect(initFile(app, kept, 'notice.txt')).toBe(join(app, 'notice.txt'));
  });
});
