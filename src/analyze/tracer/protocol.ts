/**
 * What the tracer (inside the app) reports to the analyzer over the control endpoint
 * (`/__edgstr/...` on the app's own port). Shared by both sides.
 */

/** Header the analyzer sets on every replayed request; its value names the execution. */
export const EXEC_HEADER = 'x-edgstr-exec';
/** Prefix of the control endpoint; requests under it never reach the app. */
export const CONTROL_PREFIX = '/__edgstr/';

/** A file operation seen in an execution (app code or library code on its behalf). */
export interface FileEvent {
  op: 'read' | 'write' | 'delete';
  /** Absolute path as touched. */
  path: string;
  /** A metadata probe (stat, access, exists) rather than a read of contents. */
  probe?: boolean;
}

/** One logged value: statement id and fingerprint ("=text" for short values, "#sha1" for long). */
export type ValueLog = [stmt: number, fingerprint: string];

/** The trace of one execution. */
export interface ExecTrace {
  id: string;
  /** Statement ids in order of first execution. */
  stmts: number[];
  values: ValueLog[];
  globalReads: number[];
  globalWrites: number[];
  fieldReads: number[];
  fieldWrites: number[];
  sql: string[];
  files: FileEvent[];
  /** host:port of network services the execution talked to (not the app itself). */
  outbound: string[];
  /** App frames (absolute file, line) on the stack when the response was ended / first written. */
  endFrames: { file: string; line: number }[];
  /** Uncaught errors thrown in the execution. */
  errors: string[];
  /**
   * Library objects the middleware hung on the request (`req.sessionStore = store`) that no
   * module-level binding of the app holds: `obj` names the object (stable within the app's
   * process), `changed` says whether its reachable state changed during the execution. One
   * that appears in several executions and changes in one is state the app keeps out of the
   * tracer's sight (express-session's default MemoryStore). Absent in older traces.
   */
  hidden?: HiddenState[];
}

/** See {@link ExecTrace.hidden}. */
export interface HiddenState {
  /** The request property it was reached through, e.g. `req.sessionStore`. */
  name: string;
  /** Its class, e.g. `MemoryStore`. */
  kind: string;
  /** Identity within the app's process (`pid:n`). */
  obj: string;
  changed: boolean;
}

/** Answer to the checkpoint call. */
export interface CheckpointInfo {
  globals: number;
  instances: number;
  /** SQLite connections: database file and its tables. */
  databases: { file: string; tables: string[]; snapshot: string | null }[];
  mongo: boolean;
  /** The app's server process (the one answering the control endpoint). */
  pid: number;
}

/** Checkpointed globals for snapshot/globals.json: id -> JSON-able value (when it is). */
export interface GlobalsSnapshot {
  globals: Record<string, unknown>;
  fields: Record<string, unknown>;
}
