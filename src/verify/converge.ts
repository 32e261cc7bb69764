/**
 * The convergence check: every replica (cloud and edges) holds the same replicated tables (row
 * checksums), files (content hashes) and CRDT documents (Automerge heads, when the replica's
 * health reports them).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileChecksums, jsonChecksum, tableChecksums } from './checksum.js';
import type { RunningStack } from './stack.js';
import { fetchHealth } from '../util/health-client.js';

export interface ReplicaState {
  name: string;
  tables: Record<string, string>;
  files: Record<string, string>;
  /** Checksum of the CRDT documents' heads reported by /__edgstr/health (null when not reported). */
  docs: string | null;
}

export interface ConvergenceReport {
  ok: boolean;
  replicas: ReplicaState[];
  /** What differs, one line each ("table notes: cloud 3:ab12 vs edge-1 4:cd34"). */
  differences: string[];
}

async function docsChecksum(url: string): Promise<string | null> {
  const h = await fetchHealth(url, { docs: true });
  return h?.docs === undefined ? null : jsonChecksum(h.docs);
}

export async function checkConvergence(stack: RunningStack): Promise<ConvergenceReport> {
  const { config } = stack;
  const replicas: ReplicaState[] = [];
  for (const r of [stack.cloud, ...stack.edges]) {
    const tables: Record<string, string> = {};
    for (const db of config.tables) {
      const file = join(r.appDir, db.file);
      if (!existsSync(file)) {
        for (const t of db.tables) tables[`${db.file}:${t}`] = 'no database file';
        continue;
      }
      for (const [t, sum] of Object.entries(tableChecksums(file, db.tables))) tables[`${db.file}:${t}`] = sum;
    }
    replicas.push({ name: r.name, tables, files: fileChecksums(r.appDir, config.files), docs: await docsChecksum(r.process.url) });
  }
  const differences: string[] = [];
  const [first, ...rest] = replicas;
  for (const other of rest) {
    for (const key of new Set([...Object.keys(first!.tables), ...Object.keys(other.tables)])) {
      if (first!.tables[key] !== other.tables[key]) differences.push(`table ${key}: ${first!.name} ${first!.tables[key]} vs ${other.name} ${other.tables[key]}`);
    }
    for (const key of new Set([...Object.keys(first!.files), ...Object.keys(other.files)])) {
      if (first!.files[key] !== other.files[key]) {
        differences.push(`file ${key}: ${first!.name} ${first!.files[key] ?? 'missing'} vs ${other.name} ${other.files[key] ?? 'missing'}`);
      }
    }
    if (first!.docs !== null && other.docs !== null && first!.docs !== other.docs) {
      differences.push(`CRDT documents: ${first!.name} heads ${first!.docs} vs ${other.name} ${other.docs}`);
    }
  }
  return { ok: differences.length === 0, replicas, differences };
}
