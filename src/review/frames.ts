/**
 * Picks, among a service's statements, those that touch a piece of state, and renders them as code
 * frames. Pure: the sources are passed in. Matching is textual on purpose: analysis.json gives the
 * service's statements by file:line, and the line that names a table, global or file is what the
 * developer needs to see to judge the replication.
 */
import { codeFrameColumns } from '@babel/code-frame';
import type { AnalyzedService } from '../model/analysis.js';
import { identifiersOf, type DefinitionIndex, type DefinitionRange } from './definitions.js';
import type { CodeFrame, StateKind } from './types.js';

/** A statement position, app-relative. */
export interface StmtLine {
  file: string;
  line: number;
  /** Set when the line is inside a helper the service calls rather than a statement of the service. */
  via?: string;
}

/** Most frames shown per state item; the rest are counted, not shown. */
export const MAX_FRAMES = 4;
/** Statement lines merged into one frame when at most this many lines apart. */
const MERGE_GAP = 2;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The service's statements, entry and exit, unique by file:line, in file then line order. */
export function serviceLines(svc: AnalyzedService): StmtLine[] {
  const seen = new Map<string, StmtLine>();
  for (const loc of [...svc.entry, ...svc.statements, ...svc.exit]) {
    seen.set(`${loc.file}:${loc.line}`, { file: loc.file, line: loc.line });
  }
  return [...seen.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/**
 * Patterns that identify source lines touching a piece of state, from the most specific to the
 * least; the first pattern that matches any statement wins.
 */
export function searchPatterns(kind: StateKind, name: string): RegExp[] {
  switch (kind) {
    case 'table': {
      // "main.notes" or "\"notes\"": the bare table name is what SQL text in the source carries.
      const bare = name.replace(/["'`[\]]/g, '').split('.').pop() ?? name;
      const t = escapeRe(bare);
      // SQL naming the table first, then a quoted name (knex('notes')), then the bare word.
      return [
        new RegExp(`\\b(from|join|into|update|table|exists)\\s+["'\`[]?${t}\\b`, 'i'),
        new RegExp(`["'\`]${t}["'\`]`, 'i'),
        new RegExp(`\\b${t}\\b`, 'i'),
      ];
    }
    case 'global': {
      // `BookService#searchCache`: the field is what statements mention (this.searchCache).
      const hash = name.indexOf('#');
      const field = hash >= 0 ? name.slice(hash + 1) : name;
      const out = [new RegExp(`(^|[^\\w$])${escapeRe(field)}(?![\\w$])`)];
      if (hash > 0) out.push(new RegExp(`\\b${escapeRe(name.slice(0, hash))}\\b`));
      return out;
    }
    case 'file': {
      // Concrete names ("data/log/12.txt") rarely appear verbatim: the code builds them. Try the
      // base name, its stem (when not a request-derived number), the directories, the extension,
      // and last the file API calls themselves.
      const parts = name.split('/').filter((p) => p !== '' && p !== '.');
      const base = parts.pop() ?? name;
      const dot = base.lastIndexOf('.');
      const stem = dot > 0 ? base.slice(0, dot) : base;
      const ext = dot > 0 ? base.slice(dot) : '';
      const out = [new RegExp(escapeRe(base))];
      if (stem !== base && /[A-Za-z]/.test(stem) && stem.length >= 3) out.push(new RegExp(`\\b${escapeRe(stem)}\\b`));
      for (const dir of parts.reverse()) if (dir !== '..') out.push(new RegExp(`['"\`/]${escapeRe(dir)}\\b`));
      if (ext) out.push(new RegExp(`${escapeRe(ext)}['"\`]`));
      out.push(
        /\b(readFile|writeFile|appendFile|createReadStream|createWriteStream|sendFile|download|unlink|readdir|mkdir|rename|copyFile|rm|stat|access|open|exists)(Sync)?\s*\(/,
      );
      return out;
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown state kind ${String(never)}`);
    }
  }
}

/** The source text of a statement's line, or null when the file or line is missing. */
export function lineText(sources: ReadonlyMap<string, string>, s: StmtLine): string | null {
  const src = sources.get(s.file);
  if (src === undefined) return null;
  const line = src.split('\n')[s.line - 1];
  return line === undefined ? null : line;
}

/** Depth of helper calls followed from the service's statements (route → data module → query). */
const MAX_HOPS = 2;

/**
 * The innermost definitions of the identifiers that `from` lines call or dereference, skipping
 * definitions that enclose one of the service's own statements (they are the handler itself).
 */
function calledDefinitions(from: readonly StmtLine[], own: ReadonlySet<string>, sources: ReadonlyMap<string, string>, defs: DefinitionIndex): Array<DefinitionRange & { name: string }> {
  const candidates: Array<DefinitionRange & { name: string }> = [];
  for (const s of from) {
    for (const name of identifiersOf(lineText(sources, s) ?? '')) {
      for (const d of defs.get(name) ?? []) {
        let encloses = false;
        for (let l = d.start; l <= d.end && !encloses; l++) encloses = own.has(`${d.file}:${l}`);
        if (!encloses && !candidates.some((c) => c.file === d.file && c.start === d.start && c.end === d.end)) candidates.push({ ...d, name });
      }
    }
  }
  // `stmts.insertDonut.run()` names both `stmts` (a whole object of queries) and `insertDonut`
  // (one of them): keep the innermost definitions only.
  return candidates.filter(
    (d) => !candidates.some((o) => o !== d && o.file === d.file && o.start >= d.start && o.end <= d.end && o.end - o.start < d.end - d.start),
  );
}

/**
 * Lines matching `re` inside helpers the service calls, nearest first: the helpers its statements
 * call, then the helpers those call (up to {@link MAX_HOPS}).
 */
function viaDefinitions(re: RegExp, lines: readonly StmtLine[], sources: ReadonlyMap<string, string>, defs: DefinitionIndex): StmtLine[] {
  const own = new Set(lines.map((s) => `${s.file}:${s.line}`));
  let frontier: readonly StmtLine[] = lines;
  for (let hop = 0; hop < MAX_HOPS && frontier.length > 0; hop++) {
    const body: StmtLine[] = [];
    const out = new Map<string, StmtLine>();
    for (const d of calledDefinitions(frontier, own, sources, defs)) {
      for (let l = d.start; l <= d.end; l++) {
        const key = `${d.file}:${l}`;
        if (own.has(key)) continue;
        own.add(key);
        const line: StmtLine = { file: d.file, line: l, via: d.name };
        body.push(line);
        const text = lineText(sources, line);
        if (!out.has(key) && text !== null && re.test(text)) out.set(key, line);
      }
    }
    if (out.size > 0) return [...out.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    frontier = body;
  }
  return [];
}

/**
 * The statements that touch the state: for each pattern, most specific first, the service's own
 * lines, then lines in helpers it calls; falls back to all its statements when nothing matches.
 */
export function selectStatements(
  kind: StateKind,
  name: string,
  lines: readonly StmtLine[],
  sources: ReadonlyMap<string, string>,
  defs: DefinitionIndex = new Map(),
): { lines: StmtLine[]; fallback: boolean } {
  for (const re of searchPatterns(kind, name)) {
    const hit = lines.filter((s) => {
      const text = lineText(sources, s);
      return text !== null && re.test(text);
    });
    if (hit.length > 0) return { lines: hit, fallback: false };
    const via = viaDefinitions(re, lines, sources, defs);
    if (via.length > 0) return { lines: via, fallback: false };
  }
  return { lines: lines.filter((s) => lineText(sources, s) !== null), fallback: true };
}

/**
 * Renders statements as code frames: nearby lines of one file share a frame; only the statements
 * themselves are marked with `>`. Returns the frames shown and how many statements were left out.
 */
export function renderFrames(
  lines: readonly StmtLine[],
  sources: ReadonlyMap<string, string>,
  maxFrames = MAX_FRAMES,
): { frames: CodeFrame[]; omitted: number } {
  const groups: StmtLine[][] = [];
  for (const s of lines) {
    const last = groups.at(-1);
    const prev = last?.at(-1);
    if (last && prev && prev.file === s.file && prev.via === s.via && s.line - prev.line <= MERGE_GAP + 1) last.push(s);
    else groups.push([s]);
  }
  const frames: CodeFrame[] = [];
  let omitted = 0;
  for (const group of groups) {
    const src = sources.get(group[0]!.file);
    if (src === undefined) continue;
    if (frames.length >= maxFrames) {
      omitted += group.length;
      continue;
    }
    const first = group[0]!.line;
    const last = group.at(-1)!.line;
    const marked = new Set(group.map((s) => s.line));
    const raw = codeFrameColumns(src, { start: { line: first }, end: { line: last } }, { linesAbove: 1, linesBelow: 1, highlightCode: false });
    if (raw.trim() === '') continue;
    // code-frame marks every line of a range; keep the marker only on the service's statements.
    const text = raw
      .split('\n')
      .map((l) => {
        const m = /^>(\s*)(\d+) \|/.exec(l);
        return m && !marked.has(Number(m[2])) ? ` ${l.slice(1)}` : l;
      })
      .join('\n');
    const frame: CodeFrame = { file: group[0]!.file, lines: [...marked], text };
    if (group[0]!.via !== undefined) frame.via = group[0]!.via;
    frames.push(frame);
  }
  return { frames, omitted };
}
