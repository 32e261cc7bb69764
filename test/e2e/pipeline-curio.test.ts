import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startStack } from '../../src/verify/stack.js';
import { runEdgstr } from '../helpers/index.js';
import { pipelineTest } from './pipeline.js';

// An app as people write it: no start script (main only), app.listen(3000), paths relative to
// its working directory, sample photos copied into uploads/ at first start, /items/favorites
// beside /items/:id, ids inside links (subjects/curio/README.md).
describe('pipeline', () => {
  const dirs = pipelineTest('curio', 'all');

  it('curio: analysis.json names the app from anywhere, its own port and the traffic; the sample photos are init state', () => {
    expect(dirs.generated(), 'the pipeline test above did not generate the system').toBe(true);
    const analysis = JSON.parse(readFileSync(join(dirs.workdir, 'analysis.json'), 'utf8')) as {
      app: { dir: string; absoluteDir: string; start: string; port: number };
      traffic: string;
      snapshot: { files: string[] };
    };
    expect(analysis.app).toMatchObject({ absoluteDir: dirs.appDir, start: 'node curio.js', port: 3000 });
    expect(analysis.traffic).toBe(join(dirs.workdir, 'traffic.har'));
    expect(analysis.snapshot.files).toEqual(expect.arrayContaining(['uploads/lamp.svg', 'uploads/clock.svg', 'uploads/vase.svg']));
  });

  it('curio: a file the cloud app makes at its own start reaches the edges (CRDT-Files) and is served there', { timeout: 120_000 }, async () => {
    expect(dirs.generated(), 'the pipeline test above did not generate the system').toBe(true);
    // The generated cloud's app now also writes uploads/banner.svg at every start: not in the
    // snapshot, so an edge can only have it from the cloud.
    const server = join(dirs.out, 'cloud', 'app', 'curio.js');
    const code = readFileSync(server, 'utf8');
    const anchor = 'function present(item) {';
    expect(code).toContain(anchor);
    writeFileSync(server, code.replace(anchor, `fs.mkdirSync('uploads', { recursive: true });\nfs.writeFileSync('uploads/banner.svg', '<svg><title>banner</title></svg>\\n');\n\n${anchor}`));
    const scratch = mkdtempSync(join(tmpdir(), 'edgstr-curio-banner-'));
    const stack = await startStack(dirs.out, scratch, 2);
    try {
      for (const edge of stack.edges) {
        let body = '';
        for (const until = Date.now() + 5_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
          const res = await fetch(`${edge.process.url}/uploads/banner.svg`);
          body = await res.text();
          if (res.status === 200) break;
        }
        expect(body, `${edge.name} does not serve the cloud's start-up file`).toBe('<svg><title>banner</title></svg>\n');
        expect(existsSync(join(edge.appDir, 'uploads', 'banner.svg'))).toBe(true);
      }
    } finally {
      await stack.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('curio: an original that dies on a request is reported with its exit code and last lines', { timeout: 120_000 }, async () => {
    expect(dirs.generated(), 'the pipeline test above did not generate the system').toBe(true);
    // The last test of the file: the generated cloud's copy of the app now exits on GET /notice.
    const server = join(dirs.out, 'cloud', 'app', 'curio.js');
    const code = readFileSync(server, 'utf8');
    const handler = "app.get('/notice', (req, res) => {";
    expect(code).toContain(handler);
    writeFileSync(server, code.replace(handler, `${handler}\n  console.error('curio: giving up on purpose');\n  process.exit(3);`));
    const r = await runEdgstr(['verify', '--out', dirs.out, '--edges', '2', '--workdir', dirs.workdir], 100_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|fetch failed/);
    expect(r.stderr).toMatch(/exited with code \d+ while answering GET \/notice; its output ends with:\n(.*\n)*.*curio: giving up on purpose/);
  });
});
