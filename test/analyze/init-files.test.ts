import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initFile } from '../../src/analyze/workspace/init-files.js';

/**
 * The snapshot's files are the init state: what the app made at its start, else what `record
 * --app` kept when recording started (not the app folder, which by then holds what the recorded
 * traffic wrote), else the app folder. A public note-taking app (notes in db/db.json) shipped its
 * post-recording notes to the cloud and edges when this fell back to the app folder first, and
 * verify failed 3 of 8 requests.
 */
describe('initFile', () => {
  const root = mkdtempSync(join(tmpdir(), 'edgstr-init-files-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = (dir: string, rel: string, text: string) => {
    mkdirSync(join(root, dir, rel, '..'), { recursive: true });
    writeFileSync(join(root, dir, rel), text);
  };
  put('app', 'db/db.json', 'today');
  put('app', 'public/a.html', 'page');
  put('init', 'db/db.json', 'recorded');
  put('init', 'uploads/x.png', 'recorded photo');
  put('start', 'uploads/x.png', 'made at start');

  it('prefers what the app made at start, then the recorded init state, then the app folder', () => {
    const app = join(root, 'app');
    const start = join(root, 'start');
    const init = join(root, 'init');
    expect(initFile(app, start, 'uploads/x.png', init)).toBe(join(start, 'uploads/x.png'));
    expect(initFile(app, start, 'db/db.json', init)).toBe(join(init, 'db/db.json'));
    expect(initFile(app, start, 'public/a.html', init)).toBe(join(app, 'public/a.html'));
    expect(initFile(app, undefined, 'db/db.json')).toBe(join(app, 'db/db.json'));
  });
});
