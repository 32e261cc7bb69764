/**
 * Which replicated file paths stand for a whole collection (shared by review, which shows the
 * scope to the developer, and generate, which replicates it). Pure.
 */

/**
 * Paths a request names (uploads/<cardId>/, data/favorites/<user>.json) are recorded as the few
 * concrete ones the traffic touched; replicating only those would miss every one made later (a
 * card created at an edge). Where a directory holds two or more listed entries of one kind (all
 * directories, or files with the same extension), it is a collection keyed by request data: the
 * directory itself is replicated. A directory holding the app's code or a SQLite database (which
 * is replicated as tables, not files), and the app root, are never widened.
 */
export function widenCollections(paths: readonly string[], appFiles: readonly string[], databases: readonly string[]): string[] {
  const kindOf = (name: string): string => {
    if (name.endsWith('/')) return '/';
    const dot = name.indexOf('.', 1);
    return dot < 0 ? '' : name.slice(dot);
  };
  const groups = new Map<string, Set<string>>();
  for (const p of paths) {
    const trimmed = p.replace(/\/+$/, '');
    const cut = trimmed.lastIndexOf('/');
    if (cut <= 0) continue;
    const parent = `${trimmed.slice(0, cut)}/`;
    const name = p.slice(cut + 1);
    const key = `${parent}\0${kindOf(name)}`;
    groups.set(key, (groups.get(key) ?? new Set()).add(name.replace(/\/+$/, '')));
  }
  const code = /\.(c|m)?[jt]s$|(^|\/)package\.json$/;
  const widened = new Set<string>();
  for (const [key, names] of groups) {
    const parent = key.slice(0, key.indexOf('\0'));
    if (names.size < 2) continue;
    if (appFiles.some((f) => f.startsWith(parent) && code.test(f)) || databases.some((d) => d.startsWith(parent))) continue;
    widened.add(parent);
  }
  const out = paths.filter((p) => ![...widened].some((d) => p.startsWith(d) && p !== d));
  return [...new Set([...out, ...widened])].sort();
}
