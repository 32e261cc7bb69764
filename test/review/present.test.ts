import { PassThrough } from 'node:stream';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/model/errors.js';
import type { Decisions } from '../../src/model/decisions.js';
import { buildReviewPlan } from '../../src/review/plan.js';
import { escapeHtml, renderHtml } from '../../src/review/present-html.js';
import { replicatedState } from '../../src/review/plan.js';
import { renderPlan, renderService, renderSummary } from '../../src/review/present-terminal.js';
import { askDecisions, parseAnswer } from '../../src/review/prompt.js';
import { seatsInput } from './helpers.js';

const plain = pc.createColors(false);

describe('terminal view', () => {
  it('shows route, state, code frames, notes and exposure', () => {
    const plan = buildReviewPlan(seatsInput({ snapshot: { tableRows: new Map([['seats', 3]]) } }));
    const text = renderService(plan.services[1]!, plain, true);
    expect(text).toContain('POST /seats/:id/book  stateful, replicable');
    expect(text).toContain('table seats (read + write; 3 rows at analysis time)');
    expect(text).toContain("> 21 |   db.prepare('UPDATE seats SET taken = 1 WHERE id = ?').run(id);");
    expect(text).toContain('eventual consistency: two edges can both act on the same row');
    expect(text).toContain('the whole table seats (3 rows at analysis time) is copied to every edge');
    expect(text).toContain('decision: accepted');
    expect(text).not.toMatch(/\x1b\[/);
    const all = renderPlan(plan, plain, new Map());
    expect(all).toContain('GET /weather  stateless, not replicable\n  reason: it calls another host');
  });
});

describe('what leaves the cloud', () => {
  it('is the union of the state of the accepted services, whole tables when any of them reads', () => {
    const plan = buildReviewPlan(seatsInput({ snapshot: { tableRows: new Map([['seats', 3]]) } }));
    const accepted = new Set(['POST /seats/:id/book', 'GET /seats', 'POST /messages', 'GET /weather']);
    const shipped = replicatedState(plan, (id) => accepted.has(id));
    expect(shipped.map((r) => [r.kind, r.name, r.read, r.services])).toEqual([
      ['table', 'messages', false, ['POST /messages']],
      ['table', 'seats', true, ['GET /seats', 'POST /seats/:id/book']],
    ]);
    const decisions: Decisions = new Map([...accepted].map((id) => [id, { accepted: true, by: 'a', at: '' }]));
    const text = renderSummary(plan, plain, decisions);
    expect(text).toContain('with these decisions, this leaves the cloud for every edge:');
    expect(text).toContain('  - the whole table seats (3 rows at analysis time) is copied to every edge, including rows other clients created (GET /seats, POST /seats/:id/book)');
    expect(renderSummary(plan, plain, new Map())).not.toContain('leaves the cloud');
  });
});

describe('HTML page', () => {
  it('is self-contained, escaped and lists every service with its decision', () => {
    const input = seatsInput();
    input.sources = new Map([['src/server.js', `${input.sources.get('src/server.js')!}\n// </pre><script>alert(1)</script>`]]);
    input.analysis.services[7]!.statements.push({ file: 'src/server.js', line: 57 });
    input.analysis.services[7]!.state.reads.globals = ['alert'];
    const plan = buildReviewPlan(input);
    const decisions: Decisions = new Map([['GET /seats', { accepted: true, by: 'ann<b>', at: '2026-01-01T00:00:00.000Z' }]]);
    const html = renderHtml(plan, decisions, '2026-01-01T00:00:00.000Z');
    for (const s of plan.services) expect(html).toContain(escapeHtml(s.id));
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('ann&lt;b&gt;');
    expect(html).not.toMatch(/<link|\ssrc=|url\(|@import|href="(?!#)/);
    expect(html).toMatch(/<style>[\s\S]*<\/style>/);
    expect((html.match(/<section /g) ?? []).length).toBe(plan.services.length);
  });
});

describe('interactive prompts', () => {
  async function drive(answers: string, previous: Map<string, boolean> | null = null) {
    const plan = buildReviewPlan(seatsInput({ previous }));
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (b: Buffer) => (shown += b.toString()));
    input.end(answers);
    const result = await askDecisions(plan, { input, output }, (s) => renderService(s, plain));
    return { result, shown };
  }

  it('asks once per replicable service, re-asks on nonsense, empty takes the default', async () => {
    // 7 replicable services; "maybe" is asked again; the empty answer for GET /seats (previously accepted) means yes.
    const { result, shown } = await drive('\nmaybe\nn\ny\nyes\nno\ny\nN\n', new Map([['GET /seats', true]]));
    expect([...result]).toEqual([
      ['GET /seats', true], ['POST /seats/:id/book', false], ['GET /visits', true], ['POST /messages', true],
      ['GET /about', false], ['POST /login', true], ['GET /health', false],
    ]);
    expect(shown.match(/Replicate /g)).toHaveLength(8);
    expect(shown).toContain('please answer y or n');
    expect(shown).toContain('[Y/n]');
    expect(shown).toContain('GET /weather  stateless, not replicable');
    expect(shown).toContain('-> always forwarded to the cloud (cannot be replicated)');
  });

  it('end of input before the last answer is a UserError', async () => {
    await expect(drive('y\nn\n')).rejects.toThrow(UserError);
    await expect(drive('y\nn\n')).rejects.toThrow(/input ended before every service was decided; decisions.json was not changed/);
  });

  it('parses answers', () => {
    expect([parseAnswer(' Y '), parseAnswer('no'), parseAnswer(''), parseAnswer('x')]).toEqual([true, false, null, undefined]);
  });
});
