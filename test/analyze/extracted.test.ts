/**
 * Extracted functions reproduce the recorded responses: a subject is recorded and analyzed,
 * then started fresh from its initial state, and the recorded traffic is replayed in order
 * through each service's extracted function (its `app.dispatch` sends the request into the
 * running app). Status codes must match, and JSON bodies too (ignoring time-like fields).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeApp } from '../../src/analyze/analyze.js';
import { paramsFromRequest, type ExtractedParams } from '../../src/analyze/extract/params.js';
import { compileRoute } from '../../src/model/service-id.js';
import { readTraffic } from '../../src/model/traffic.js';
import { toRecorded } from '../../src/analyze/replay/requests.js';
import { listSubjects, recordedTraffic, startSubject, subjectDir } from '../helpers/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-extracted-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Dispatch = (req: { method: string; path: string; headers: Record<string, string>; body?: unknown }) => Promise<{ status: number; headers: Record<string, string>; body: unknown }>;
type Ftn = (params: ExtractedParams, app: { dispatch: Dispatch }) => Promise<{ status: number; body: unknown }>;

const VOLATILE = /(^|_)(at|time|date|timestamp)$|At$|Time$|Date$/;
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !VOLATILE.test(k)).map(([k, x]) => [k, stable(x)]));
  return v;
}

const name = listSubjects().includes('donutshop') ? 'donutshop' : undefined;

describe('extracted functions', () => {
  it.skipIf(!name)('replayed in order from the initial state, they reproduce the recorded responses', { timeout: 240_000 }, async () => {
    const { har } = await recordedTraffic(name!);
    const workdir = path.join(tmp, 'work');
    const res = await analyzeApp({ appDir: subjectDir(name!), traffic: har, workdir, fuzz: 1 });
    const services = await Promise.all(
      res.services.map(async (s) => ({ match: compileRoute(s.route), method: s.method, route: s.route, mod: (await import(pathToFileURL(path.join(workdir, s.extracted!)).href)) as Record<string, unknown> })),
    );
    const subject = await startSubject(name!);
    try {
      const dispatch: Dispatch = async (req) => {
        const r = await fetch(`${subject.url}${req.path}`, { method: req.method, headers: req.headers, body: typeof req.body === 'string' ? Buffer.from(req.body, 'latin1') : undefined });
        const text = await r.text();
        return { status: r.status, headers: Object.fromEntries(r.headers), body: text };
      };
      let compared = 0;
      for (const [i, e] of readTraffic(har).log.entries.entries()) {
        const rec = toRecorded(e, i);
        if (!rec) continue;
        const svc = services.find((s) => s.method === rec.method && s.match(rec.path));
        if (!svc) continue;
        const ftn = Object.entries(svc.mod).find(([k]) => k.startsWith('ftn_'))?.[1] as Ftn;
        const out = await ftn(paramsFromRequest(svc.route, rec), { dispatch });
        expect(out.status, `${rec.method} ${rec.path}`).toBe(rec.status);
        const recorded = rec.response?.toString('utf8') ?? '';
        if (/json/.test(String(e.response.content.mimeType)) && recorded) {
          expect(stable(JSON.parse(String(out.body))), `${rec.method} ${rec.path}`).toEqual(stable(JSON.parse(recorded)));
        }
        compared++;
      }
      expect(compared).toBeGreaterThan(20);
    } finally {
      await subject.stop();
    }
  });
});
