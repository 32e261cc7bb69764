/**
 * What is a SQLite database file, told by its 16-byte header (never by its name: apps call them
 * `.db`, `.sqlite`, `data` or anything). One check for analyze, review and generate.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** SQLite's companions of a database file (WAL, shared memory, rollback journal). */
export const SQLITE_COMPANION = /-(wal|shm|journal)$/;

/** True when `file` starts with SQLite's header; false for anything unreadable. */
export function isSqliteFile(file: string): boolean {
  const head = Buffer.alloc(16);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    return readSync(fd, head, 0, 16, 0) === 16 && head.equals(SQLITE_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
