// Reads a V8 CPU profile (node --cpu-prof) of the hub and names its hottest frames by self time
// (and the share of each source file), so bench-hub.mjs can say which part of the hub is hot.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The newest .cpuprofile in `dir`, or null. */
export function findProfile(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  return files.length ? path.join(dir, files[files.length - 1]) : null;
}

/** Frames V8 reports while nothing runs: not the hub's work. */
const IDLE = new Set(['(idle)', '(program)']);

/** Top `n` frames by self time and the top files, as percentages of the busy (not idle) time. */
export function summarizeProfile(file, n = 15) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const dt = prof.timeDeltas ?? [];
  let total = 0;
  let idle = 0;
  prof.samples.forEach((id, i) => {
    const d = dt[i] ?? 0;
    if (IDLE.has(byId.get(id).callFrame.functionName)) {
      idle += d;
      return;
    }
    total += d;
    self.set(id, (self.get(id) ?? 0) + d);
  });
  const frames = new Map();
  const files = new Map();
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const where = cf.url ? `${shorten(cf.url)}:${cf.lineNumber + 1}` : '';
    // Rust symbols of Automerge's WASM carry crate hashes ([9d94...]): drop them.
    const fn = (cf.functionName || '(anonymous)').replace(/\[[0-9a-f]{16}\]/g, '').slice(0, 140);
    const key = `${fn}${where && !where.startsWith('wasm:') ? ` ${where}` : ''}`;
    frames.set(key, (frames.get(key) ?? 0) + us);
    const f = cf.url ? shorten(cf.url) : `(${cf.functionName || 'native'})`;
    files.set(f, (files.get(f) ?? 0) + us);
  }
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, pct: Math.round((us / total) * 1000) / 10, ms: Math.round(us / 1000) }));
  return { file, busyMs: Math.round(total / 1000), idleMs: Math.round(idle / 1000), frames: top(frames), files: top(files) };
}

/** file:///.../node_modules/x/y.js -> x/y.js; .../dist/runtime/z.js -> runtime/z.js. */
function shorten(url) {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  const dist = u.lastIndexOf('/dist/');
  if (dist >= 0) return u.slice(dist + '/dist/'.length);
  return u;
}
