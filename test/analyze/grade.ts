/**
 * Grading for the analyze tests: the shared grader (grade-analysis.mjs) when this machine has
 * it, else the same rules re-stated here (tables exact; globals equal or Class#field ~ field,
 * not_state reads ignored; files matched against expected globs; entry/exit lines in the app).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SHARED = '/work/shared/tools/grade-analysis.mjs';

interface Grade {
  total: number;
  report: string;
}

interface SharedGrader {
  grade(a: unknown, e: unknown, dir: string): { total: number };
  formatReport(label: string, g: unknown): string;
}

export async function gradeAnalysis(analysis: unknown, expected: unknown, appDir: string): Promise<Grade> {
  if (fs.existsSync(SHARED)) {
    const mod = (await import(pathToFileURL(SHARED).href)) as SharedGrader;
    const g = mod.grade(analysis, expected, appDir);
    return { total: g.total, report: mod.formatReport((expected as { app?: string }).app ?? 'app', g) };
  }
  return localGrade(analysis as Analysis, expected as Expected, appDir);
}

type Sets = Record<'tables' | 'files' | 'globals', unknown[]>;
interface Analysis {
  services: { id: string; entry: { file: string; line: number }[]; exit: { file: string; line: number }[]; state: { reads: Sets; writes: Sets } }[];
}
interface Expected {
  app?: string;
  not_state?: { name: string }[];
  services: { service: string; reads: Sets; writes: Sets }[];
}

const norm = (id: string) => id.replace(/:[^/\s]+/g, ':p').replace(/\?.*$/, '');
const glob = (p: string) => new RegExp(`^${p.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+').replace(/\*/g, '[^/]*').replace(/\/$/, '/?')}$`);
const gmatch = (a: string, b: string) => a === b || [a, b].some((x, i) => x.includes('#') && [b, a][i]!.replace(/^.*[#.]/, '') === x.slice(x.indexOf('#') + 1));

function localGrade(a: Analysis, e: Expected, appDir: string): Grade {
  const notState = (e.not_state ?? []).flatMap((n) => n.name.replace(/\s*\(.*\)\s*$/, '').split(/\s*\/\s*/).map((x) => x.trim().split(/\s+/)[0]!));
  let exact = 0;
  let ee = 0;
  const lines: string[] = [];
  for (const es of e.services) {
    const as = a.services.find((s) => norm(s.id) === norm(es.service));
    if (!as) {
      lines.push(`  ${es.service} NOT IN analysis.json`);
      continue;
    }
    let ok = true;
    for (const dir of ['reads', 'writes'] as const) {
      const t = (x: unknown[]) => [...new Set(x.map((y) => String(y).toLowerCase()))].sort().join(',');
      if (t(as.state[dir].tables) !== t(es[dir].tables)) ok = false;
      const got = (as.state[dir].globals as string[]).filter((g) => dir === 'writes' || (es[dir].globals as string[]).some((x) => gmatch(g, x)) || !notState.some((n) => gmatch(g, n)));
      const exp = es[dir].globals as string[];
      if (!got.every((g) => exp.some((x) => gmatch(g, x))) || !exp.every((x) => got.some((g) => gmatch(g, x)))) ok = false;
      const pats = (es[dir].files as (string | { path: string; glob?: string })[]).map((f) => glob(typeof f === 'string' ? f : (f.glob ?? f.path)));
      const files = as.state[dir].files as string[];
      if (!files.every((f) => pats.some((p) => p.test(f))) || !pats.every((p) => files.some((f) => p.test(f)))) ok = false;
    }
    const inApp = (l: { file: string; line: number }[]) =>
      l.length > 0 && l.every((x) => fs.existsSync(path.join(appDir, x.file)) && !x.file.includes('node_modules') && x.line <= fs.readFileSync(path.join(appDir, x.file), 'utf8').split('\n').length);
    const eeOk = inApp(as.entry) && inApp(as.exit);
    if (ok) exact++;
    if (eeOk) ee++;
    lines.push(`  ${es.service} ${ok ? 'exact' : 'DIFF'} ${eeOk ? 'entry+exit ok' : 'entry+exit MISSING/BAD'}`);
  }
  const total = e.services.length;
  return { total, report: `== ${e.app ?? 'app'}: state sets exact ${exact}/${total}; entry+exit ${ee}/${total}\n${lines.join('\n')}\n` };
}
