/**
 * What an app's start command says about how its process runs, read the way a shell and Node
 * would: `npm start` (its script), leading `VAR=value` assignments (also after `cross-env`/`env`),
 * the runner (`node`, `tsx`, `ts-node`, `nodemon`, …), the Node options before the entry module
 * (`--env-file=.env`, `-r dotenv/config`, `--import tsx`, `--max-old-space-size=512`, …), and the
 * entry itself, resolved as Node or tsx would (`index` → `index.ts`, `src` → `src/index.js`).
 *
 * The generated cloud and edge run the entry under their own `node` command, so they re-create
 * the rest: environment, env files and preloaded modules at start-up, other flags on their
 * command line.
 */
import { existsSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

export interface StartCommand {
  /** `VAR=value` assignments before the runner. */
  env: Record<string, string>;
  /** `--env-file` files, app-relative as written. */
  envFiles: string[];
  /** Modules loaded before the entry: `-r`/`--require` (require) and `--import`/`--loader` (import). */
  preload: { kind: 'require' | 'import'; specifier: string }[];
  /** Other Node options, passed on as they are (`--max-old-space-size=512`, `--enable-source-maps`). */
  nodeFlags: string[];
  /** The runner program: node, tsx, ts-node, nodemon, … (null: none recognized). */
  runner: string | null;
  /** The entry module as written (`index`, `./src/server.ts`), or null. */
  entry: string | null;
}

/** Node options that take their value as the next token when written without `=`. */
const VALUE_OPTIONS = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '--env-file', '--env-file-if-exists',
  '--conditions', '-C', '--inspect-port', '--title', '--stack-size', '--max-old-space-size', '--max-semi-space-size',
  '--input-type', '--watch-path', '--tsconfig', '--project', '-P',
]);
/** Runners whose own options are not Node's and do not matter to edgstr (their value-taking ones). */
const RUNNER_VALUE_OPTIONS = new Set(['--watch-path', '--exec', '-x', '--ext', '-e', '--ignore', '-i', '--delay', '--tsconfig', '--project', '-P', '--compiler']);
/** nodemon, node-dev and ts-node-dev: their `--watch`/`-w` take a path too. */
const WATCHER_VALUE_OPTIONS = new Set(['--watch', '-w', '--signal', '-s', '--config']);
const RUNNERS = /^(node|nodejs|tsx|ts-node|ts-node-dev|ts-node-esm|nodemon|node-dev|babel-node|esno|esrun|bun)$/;
/** Runner options and words that never reach the app (`tsx watch`, `nodemon --watch src`). */
const RUNNER_WORDS = new Set(['watch']);
/** Node's own flags edgstr must not pass on: the generated projects decide these. */
const DROPPED_FLAGS = /^--(watch|watch-path|inspect|inspect-brk|inspect-port|test|check|eval|print|interactive)(=|$)|^-[eipc]$/;
/** Node options tsx and ts-node pass on; their own type-check/transpile options are dropped. */
const TS_RUNNER_OWN = /^--(tsconfig|project|transpile-only|swc|files|esm|experimental-specifier-resolution|respawn|clear|exit-child|rs|poll|transpileOnly|compiler|compiler-options|ignore-watch)(=|$)|^-[TPH]$/;

/** Scripts `npm start` and `npm run X` expand to (one level, as npm does). */
export function expandNpmScript(command: string, scripts: Record<string, unknown>): string {
  const m = /^\s*(?:npm|pnpm|yarn)\s+(?:run(?:-script)?\s+)?([\w:.-]+)\s*$/.exec(command);
  if (!m) return command.trim();
  const name = m[1] === 'start' || scripts[m[1]!] !== undefined ? m[1]! : null;
  const script = name ? scripts[name] : undefined;
  return typeof script === 'string' && script.trim() ? script.trim() : command.trim();
}

export function parseStartCommand(command: string, scripts: Record<string, unknown> = {}): StartCommand {
  const out: StartCommand = { env: {}, envFiles: [], preload: [], nodeFlags: [], runner: null, entry: null };
  // The last command of `a && b` is the one that stays running (`npm run build && node dist/x.js`).
  const parts = expandNpmScript(command, scripts).split(/\s*(?:&&|;)\s*/);
  const tokens = shellWords(parts[parts.length - 1] ?? '');
  let i = 0;
  const takeEnv = (): void => {
    while (i < tokens.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(tokens[i]!)) {
      const t = tokens[i++]!;
      const eq = t.indexOf('=');
      out.env[t.slice(0, eq)] = t.slice(eq + 1);
    }
  };
  takeEnv();
  while (i < tokens.length && /^(cross-env|env|dotenv)$/.test(basenameOf(tokens[i]!))) {
    if (basenameOf(tokens[i]!) === 'dotenv') {
      // dotenv-cli: `dotenv -e .env.local -- node x`
      i++;
      while (i < tokens.length && tokens[i] !== '--') {
        if ((tokens[i] === '-e') && tokens[i + 1]) out.envFiles.push(tokens[++i]!);
        i++;
      }
      if (tokens[i] === '--') i++;
      if (out.envFiles.length === 0) out.envFiles.push('.env');
    } else i++;
    takeEnv();
  }
  if (i < tokens.length && tokens[i] === 'npx') i++;
  const runnerToken = tokens[i];
  if (runnerToken && RUNNERS.test(basenameOf(runnerToken))) {
    out.runner = basenameOf(runnerToken);
    i++;
  }
  const ts = out.runner !== null && /^ts|^tsx$|esno|esrun/.test(out.runner);
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (RUNNER_WORDS.has(t) && out.entry === null && out.runner !== 'node') continue;
    if (t === '--') continue;
    if (!t.startsWith('-')) {
      if (out.entry === null) out.entry = t;
      else break; // the app's own arguments follow the entry
      continue;
    }
    const eq = t.indexOf('=');
    const name = eq > 0 ? t.slice(0, eq) : t;
    const watcher = out.runner !== null && /^(nodemon|node-dev|ts-node-dev)$/.test(out.runner);
    const takesValue = eq < 0 && (VALUE_OPTIONS.has(name) || (out.runner !== 'node' && RUNNER_VALUE_OPTIONS.has(name)) || (watcher && WATCHER_VALUE_OPTIONS.has(name)));
    const value = eq > 0 ? t.slice(eq + 1) : takesValue ? tokens[++i] : undefined;
    if (out.entry !== null) break;
    if (name === '--env-file' || name === '--env-file-if-exists') {
      if (value) out.envFiles.push(value);
    } else if (name === '-r' || name === '--require') {
      if (value) out.preload.push({ kind: 'require', specifier: value });
    } else if (name === '--import' || name === '--loader' || name === '--experimental-loader') {
      // tsx's own loader is registered by the generated projects for a TypeScript entry.
      if (value && value !== 'tsx' && !/^tsx\//.test(value)) out.preload.push({ kind: 'import', specifier: value });
    } else if (DROPPED_FLAGS.test(t) || (ts && TS_RUNNER_OWN.test(t)) || watcher) {
      // the runner's or the debugger's business
    } else {
      out.nodeFlags.push(value !== undefined && eq < 0 ? `${name}=${value}` : t);
    }
  }
  return out;
}

const ENTRY_EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx'];

/**
 * The app-relative posix path of the entry module, resolved as Node (or tsx, for TypeScript)
 * would from `appDir`: the file itself, with an extension added, or a folder's index (or its
 * package.json `main`). Null when nothing there is a file.
 */
export function resolveEntry(appDir: string, written: string): string | null {
  const rel = posix.normalize(written.split('\\').join('/')).replace(/^\.\//, '');
  if (rel.startsWith('../') || posix.isAbsolute(rel)) return null;
  for (const ext of ENTRY_EXTENSIONS) if (isFile(join(appDir, rel + ext))) return rel + ext;
  // `node dist/server.js` where the TypeScript source is what exists is not resolved here.
  for (const ext of ENTRY_EXTENSIONS.slice(1)) if (isFile(join(appDir, rel, `index${ext}`))) return posix.join(rel, `index${ext}`);
  return null;
}

/** Splits a command line into words as a POSIX shell would for the simple cases (quotes, escapes). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function basenameOf(token: string): string {
  return token.split('/').pop() ?? token;
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}
