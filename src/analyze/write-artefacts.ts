/**
 * The apply step: analysis.json, snapshot/ (init state of just what the services touch:
 * SQLite files copied at the checkpoint, touched files, globals.json) and extracted/.
 * Every file is written atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeAnalysis, type Analysis } from '../model/analysis.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { renderExtracted } from './extract/write-extracted.js';
import type { ProbeTable } from './instrument/probe-table.js';
import type { ServiceReport } from './report.js';
import { initFile } from './workspace/init-files.js';
import { GlobalNames } from './state/service-state.js';
import type { CheckpointInfo } from './tracer/protocol.js';

interface Input {
  workdir: string;
  appDir: string;
  appDirAsGiven: string;
  /** Files the app made or changed at its start (keepFilesMadeAtStart), by app-relative path. */
  madeAtStart?: string;
  /** Data files as `record --app` kept them (the init state the replays started from), if any. */
  initFiles?: string;
  /** The HAR file analyze replayed. */
  traffic: string;
  command: string;
  port: number;
  report: ServiceReport[];
  table: ProbeTable;
  checkpoint: CheckpointInfo;
  globalsSnapshot: Record<string, unknown>;
  copyRoot: string;
}

export function writeArtefacts(inp: Input): string {
  const wd = path.resolve(inp.workdir);
  fs.mkdirSync(wd, { recursive: true });
  const snapDir = path.join(wd, 'snapshot');
  fs.rmSync(snapDir, { recursive: true, force: true });
  fs.rmSync(path.join(wd, 'extracted'), { recursive: true, force: true });

  // snapshot: databases whose tables some service touches
  const touchedTables = new Set(inp.report.flatMap((s) => [...s.state.reads.tables, ...s.state.writes.tables]));
  const databases: { file: string; snapshot: string; tables: string[] }[] = [];
  for (const db of inp.checkpoint.databases) {
    if (!db.snapshot || !fs.existsSync(db.snapshot) || !db.tables.some((t) => touchedTables.has(t.toLowerCase()))) continue;
    const rel = path.relative(inp.copyRoot, db.file);
    const relFile = rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(db.file) : rel.split(path.sep).join('/');
    const dest = path.join(snapDir, 'files', relFile);
    writeFileAtomic(dest, fs.readFileSync(db.snapshot));
    databases.push({ file: relFile, snapshot: `snapshot/files/${relFile}`, tables: db.tables });
  }
  // files: as they were at the checkpoint (the init state): made by the app at its start, else as
  // recorded when recording started, else as they are in the app dir
  const files = new Set(inp.report.flatMap((s) => [...s.state.reads.files, ...s.state.writes.files]));
  const copied: string[] = [];
  for (const f of files) {
    const src = initFile(inp.appDir, inp.madeAtStart, f, inp.initFiles);
    if (fs.existsSync(src) && fs.statSync(src).isFile()) {
      writeFileAtomic(path.join(snapDir, 'files', f), fs.readFileSync(src));
      copied.push(f);
    }
  }
  // globals: checkpointed values of the globals some service touches
  const touched = new Set(inp.report.flatMap((s) => [...s.state.reads.globals, ...s.state.writes.globals]));
  const names = new GlobalNames(inp.table);
  const globals: Record<string, unknown> = {};
  for (const [id, v] of Object.entries(inp.globalsSnapshot)) {
    const key = names.key(Number(id));
    if (key && touched.has(GlobalNames.display(key))) globals[GlobalNames.display(key)] = { file: key.split('::')[0], value: v };
  }
  writeJsonAtomic(path.join(snapDir, 'globals.json'), globals);
  writeJsonAtomic(path.join(snapDir, 'manifest.json'), { databases, files: copied.sort(), globals: Object.keys(globals).sort() });

  for (const s of inp.report) {
    if (!s.extracted) continue;
    writeFileAtomic(path.join(wd, s.extracted), renderExtracted(s, inp.appDir));
  }
  const analysis: Analysis = {
    schemaVersion: 1,
    app: { dir: inp.appDirAsGiven, absoluteDir: path.resolve(inp.appDir), start: inp.command, port: inp.port },
    traffic: path.resolve(inp.traffic),
    services: inp.report.map(({ explanation: _e, ...s }) => s),
    snapshot: { dir: 'snapshot', databases, files: copied.sort(), globals: 'snapshot/globals.json' },
  };
  const file = path.join(wd, 'analysis.json');
  writeAnalysis(file, analysis);
  return file;
}
