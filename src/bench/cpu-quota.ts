/**
 * A CPU quota on a process (the adaptive scenario's `--edge-cpu-quota`): a slower device made of
 * a fast one, for the whole edge process (its local runs, its forwarding and its sync alike). Linux
 * cgroups, as root: v1's cpu controller (`cpu.cfs_quota_us` over a 100 ms period) when it is
 * mounted at /sys/fs/cgroup/cpu, else v2's `cpu.max`. The process is found by the port it
 * listens on (/proc/net/tcp -> socket inode -> /proc/PID/fd), so the project starter need not
 * expose its process ids.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../model/errors.js';

const PERIOD_US = 100_000;

/** The pid of the process listening on 127.0.0.1:`port` (or any address), or null. */
export function pidListeningOn(port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is "HEXIP:HEXPORT"; state 0A = LISTEN; inode is field 9.
      if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === '0A') inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(join('/proc', entry, 'fd'));
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(join('/proc', entry, 'fd', fd)));
        if (m && inodes.has(m[1]!)) return Number(entry);
      } catch {
        /* gone */
      }
    }
  }
  return null;
}

/** A cgroup holding some processes at `percent` of one core; `remove()` after they exited. */
export interface CpuQuota {
  add(pid: number): void;
  /** Removes the cgroup, waiting up to 5 s for its processes to be gone (a stopped edge exits a moment after npm). */
  remove(): Promise<void>;
}

/** Creates the cgroup; a UserError says what to do when cgroups cannot be written here. */
export function createCpuQuota(name: string, percent: number): CpuQuota {
  if (!(percent > 0 && percent <= 100)) throw new UserError(`--edge-cpu-quota: ${percent} is not a percentage of one core between 1 and 100`);
  const quotaUs = Math.round((percent / 100) * PERIOD_US);
  const v1 = '/sys/fs/cgroup/cpu';
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : null;
  const dir = existsSync(join(v1, 'cpu.cfs_quota_us')) ? join(v1, name) : v2 ? join(v2, name) : null;
  if (!dir) throw new UserError('--edge-cpu-quota needs Linux cgroups (a cpu controller under /sys/fs/cgroup); use --edge-slowdown-ms instead');
  try {
    mkdirSync(dir, { recursive: true });
    if (dir.startsWith(v1)) {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
    } else {
      writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
    }
  } catch (err) {
    throw new UserError(`--edge-cpu-quota: cannot set up the cgroup ${dir} (${err instanceof Error ? err.message : String(err)}): run as root with a writable cgroup cpu controller, or use --edge-slowdown-ms`);
  }
  return {
    add: (pid) => writeFileSync(join(dir, 'cgroup.procs'), String(pid)),
    remove: async () => {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
  };
}
