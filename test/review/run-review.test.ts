/** The library entry, called directly (no CLI): flags, prompts, HTML and write failures. */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pc from 'picocolors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/model/errors.js';
import { readDecisions } from '../../src/model/decisions.js';
import { reviewJson, runReview, type ReviewOptions } from '../../src/review/index.js';
import { seatsWorkspace } from './helpers.js';

let ws: { root: string; workdir: string };
beforeEach(() => {
  ws = seatsWorkspace();
});
afterEach(() => {
  rmSync(ws.root, { recursive: true, force: true });
});

const options = (over: Partial<ReviewOptions>): ReviewOptions => ({
  workdir: ws.workdir,
  selection: {},
  prompt: null,
  who: 'tester',
  when: '2026-03-04T05:06:07.000Z',
  colors: pc.createColors(false),
  ...over,
});

describe('runReview', () => {
  it('answers from a prompt stream, writes decisions.json and the HTML page', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    output.resume();
    input.end('y\nn\nn\nn\nn\nn\ny\n');
    const html = join(ws.root, 'out', 'review.html');
    const result = await runReview(options({ prompt: { input, output }, html }));
    expect(result.interactive).toBe(true);
    const written = readDecisions(join(ws.workdir, 'decisions.json'));
    expect([...written].filter(([, d]) => d.accepted).map(([id]) => id)).toEqual(['GET /health', 'GET /seats']);
    expect(written.get('GET /seats')).toEqual({ accepted: true, by: 'tester', at: '2026-03-04T05:06:07.000Z' });
    expect(readFileSync(html, 'utf8')).toContain('Generated 2026-03-04T05:06:07.000Z');
    const doc = reviewJson(result) as { services: Array<{ id: string; accepted: boolean }> };
    expect(doc.services.filter((s) => s.accepted).map((s) => s.id)).toEqual(['GET /seats', 'GET /health']);
  });

  it('an --html path that cannot be written is a UserError naming it', async () => {
    const html = join(ws.root, 'taken');
    mkdirSync(html);
    await expect(runReview(options({ selection: { accept: 'all' }, html }))).rejects.toThrow(UserError);
    await expect(runReview(options({ selection: { accept: 'all' }, html }))).rejects.toThrow(/taken: cannot write the --html page \(EISDIR\)/);
  });

  it('no flags and no terminal: UserError, nothing written', async () => {
    await expect(runReview(options({}))).rejects.toThrow(/not a terminal: pass --accept/);
    expect(existsSync(join(ws.workdir, 'decisions.json'))).toBe(false);
  });
});
