// A site of generated edges behind the real HAProxy, on loopback, for scripts/bench-site.mjs: the
// same set-up as test/cluster/site-haproxy.test.ts (the generated tally projects for
// `--target rpi --edges N`, Debian's haproxy with the generated site/haproxy.cfg, the generated
// site/scaler.mjs), with a stand-in for `systemctl start|stop edgstr-edge` that starts each edge
// with setsid, so that the edge's pid is its session id and the CPU of its whole process tree
// can be read from /proc.
import { execSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../../dist/generate/index.js';
import { installGenerated } from '../../dist/verify/install.js';
import { freePort } from './procs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TALLY = path.join(ROOT, 'test', 'fixtures', 'generate', 'tally', 'input');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** True when Debian's haproxy is on the PATH. */
export function haveHaproxy() {
  try {
    execSync('haproxy -v', { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Generates the tally fixture for `--target rpi --edges N` into `<scratch>/out` for a cloud on a
 * free loopback port and installs both projects (`npm ci --omit=dev`, as an operator does).
 */
export async function generateSite(scratch, edges) {
  const workdir = path.join(scratch, 'work');
  const out = path.join(scratch, 'out');
  cpSync(TALLY, workdir, { recursive: true });
  const cloudPort = await freePort();
  await generate({ workdir, out, target: 'rpi', edges, cloudUrl: `http://127.0.0.1:${cloudPort}`, force: true });
  await Promise.all([installGenerated(path.join(out, 'edge')), installGenerated(path.join(out, 'cloud'))]);
  // The cloud's app keeps its state where it always was (app/data, from the snapshot): each run
  // starts from a copy of it as generated.
  const pristine = path.join(scratch, 'cloud-app-data');
  cpSync(path.join(out, 'cloud', 'app', 'data'), pristine, { recursive: true });
  return { out, cloudPort, cloudUrl: `http://127.0.0.1:${cloudPort}`, edges, pristine };
}

/** `node` and its arguments from a generated project's package.json start script. */
function startArgs(dir) {
  const script = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts.start.split(/\s+/);
  if (script[0] !== 'node') throw new Error(`${dir}/package.json: the start script does not begin with node`);
  return script.slice(1);
}

/** One command on HAProxy's runtime API. */
export function haproxyCommand(socket, command) {
  return new Promise((resolve, reject) => {
    const s = createConnection(socket);
    let answer = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.end(`${command}\n`));
    s.on('data', (d) => (answer += d));
    s.on('end', () => resolve(answer));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error(`no answer from ${socket}`)));
  });
}

/** The status column of `show stat` for each server of the backend `edges`. */
export async function serverStatus(socket) {
  const lines = (await haproxyCommand(socket, 'show stat')).trim().split('\n');
  const header = lines[0].replace(/^# /, '').split(',');
  const col = (n) => header.indexOf(n);
  const m = new Map();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[col('pxname')] === 'edges' && /^edge-\d+$/.test(f[col('svname')])) m.set(f[col('svname')], f[col('status')]);
  }
  return m;
}

const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/**
 * CPU seconds (user + system) used so far by the processes of session `sid`: the live ones, and
 * the children the leader already reaped (its cutime + cstime). Null when the leader is gone.
 */
export function sessionCpuSeconds(sid) {
  let ticks = 0;
  let leader = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[3]) !== sid) continue;
    ticks += Number(f[11]) + Number(f[12]);
    if (Number(entry) === sid) {
      leader = true;
      ticks += Number(f[13]) + Number(f[14]);
    }
  }
  return leader ? ticks / CLK_TCK : null;
}

/** CPU seconds of one process (user + system, with reaped children); null once it is gone. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
  } catch {
    return null;
  }
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The stand-in for systemctl on the Pis: start|stop|kill NAME [PORT], by pid file. */
function writeCtl(dir, edgeDir, edgeCloudUrl) {
  const ctl = path.join(dir, 'edge-ctl.sh');
  const node = [process.execPath, ...startArgs(edgeDir)].join(' ');
  writeFileSync(ctl, `#!/bin/sh
# usage: edge-ctl.sh start|stop|kill NAME [PORT]
set -eu
pidfile="${dir}/$2.pid"
case "$1" in
  start)
    cd "${edgeDir}"
    TALLY_ROLE=edge HOST=127.0.0.1 PORT="$3" EDGSTR_CLOUD_URL="${edgeCloudUrl}" EDGSTR_NODE_ID="$2" EDGSTR_DATA_DIR="${dir}/data-$2" setsid ${node} >>"${dir}/$2.log" 2>&1 </dev/null &
    echo $! >"$pidfile" ;;
  stop|kill)
    pid="$(cat "$pidfile")"
    if [ "$1" = kill ]; then kill -KILL "$pid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done ;;
esac
`, { mode: 0o755 });
  return ctl;
}

function sh(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', args, { stdio: 'ignore' });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sh ${args.join(' ')}: exit ${code}`))));
  });
}

/** Polls `probe` until it gives a value; a probe that throws an Error (not a fetch failure) ends the wait. */
async function waitFor(what, probe, timeoutMs, tails = () => '') {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((err) => {
      if (err instanceof Error && err.message.includes('exited')) throw err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}\n${tails()}`);
    await sleep(200);
  }
}

/**
 * Starts the generated cloud, N edges, HAProxy and (with `scaler`) the generated scaler with the
 * generated site/scaler.json settings, its socket and edges replaced by this site's and
 * `scalerSettings` applied on top. `dir` is this run's own folder (data, logs, pid files). With
 * `wan` ({delayMs, bytesPerSecond}), the edges reach the cloud through an emulated WAN.
 * Returns the site: its URL, the edges' pids (live), its scaler's events, and stop().
 */
export async function startSite({ site, dir, scaler = true, scalerSettings = {}, wan = null }) {
  const { out, cloudPort, cloudUrl, edges: count } = site;
  mkdirSync(dir, { recursive: true });
  const children = [];
  const logs = new Map();
  const spawnLogged = (name, cmd, args, opts) => {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const lines = [];
    logs.set(name, lines);
    const keep = (d) => {
      lines.push(d.toString());
      if (lines.length > 40) lines.splice(0, lines.length - 40);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    children.push(child);
    return child;
  };
  const tails = () => [...logs].map(([n, l]) => `--- ${n}\n${l.join('').split('\n').slice(-10).join('\n')}`).join('\n');

  // A fresh cloud each run: its app's state as generated.
  const cloudDir = path.join(out, 'cloud');
  rmSync(path.join(cloudDir, 'app', 'data'), { recursive: true, force: true });
  cpSync(site.pristine, path.join(cloudDir, 'app', 'data'), { recursive: true });
  const cloud = spawnLogged('cloud', process.execPath, startArgs(cloudDir), {
    cwd: cloudDir,
    env: { ...process.env, PORT: String(cloudPort), TALLY_ROLE: 'cloud', EDGSTR_DATA_DIR: path.join(dir, 'data-cloud') },
  });
  await waitFor('the cloud', async () => {
    if (cloud.exitCode !== null) throw new Error(`the cloud exited (${cloud.exitCode})\n${tails()}`);
    return (await fetch(`${cloudUrl}/__edgstr/health`)).status === 200 ? true : undefined;
  }, 60_000, tails);

  // The edges reach the cloud directly, or over an emulated WAN (src/bench/wan-proxy.ts) in a
  // process of its own, so that the clients' load in this process does not delay its bytes.
  let edgeCloudUrl = cloudUrl;
  if (wan) {
    const code = `import { startWanProxy } from ${JSON.stringify(path.join(ROOT, 'dist', 'bench', 'wan-proxy.js'))};
const p = await startWanProxy({ targetHost: '127.0.0.1', targetPort: ${cloudPort}, delayMs: ${wan.delayMs}, bytesPerSecond: ${wan.bytesPerSecond} });
console.log('wan port ' + p.port);`;
    const proxy = spawnLogged('wan', process.execPath, ['--input-type=module', '-e', code], {});
    const port = await waitFor('the WAN proxy', async () => {
      if (proxy.exitCode !== null) throw new Error(`the WAN proxy exited (${proxy.exitCode})\n${tails()}`);
      return /wan port (\d+)/.exec(logs.get('wan').join(''))?.[1];
    }, 20_000, tails);
    edgeCloudUrl = `http://127.0.0.1:${port}`;
  }
  const ctl = writeCtl(dir, path.join(out, 'edge'), edgeCloudUrl);
  const names = Array.from({ length: count }, (_, i) => `edge-${i + 1}`);
  const ports = new Map();
  for (const name of names) {
    ports.set(name, await freePort());
    await sh([ctl, 'start', name, String(ports.get(name))]);
  }
  const pidOf = (name) => {
    try {
      return Number(readFileSync(path.join(dir, `${name}.pid`), 'utf8').trim());
    } catch {
      return null;
    }
  };

  const socket = path.join(dir, 'haproxy.sock');
  const sitePort = await freePort();
  const env = { EDGSTR_SITE_SOCKET: socket, EDGSTR_SITE_BIND: `127.0.0.1:${sitePort}` };
  names.forEach((name, i) => (env[`EDGSTR_EDGE_${i + 1}`] = `127.0.0.1:${ports.get(name)}`));
  const haproxy = spawnLogged('haproxy', 'haproxy', ['-db', '-f', path.join(out, 'site', 'haproxy.cfg')], { env: { ...process.env, ...env } });
  const edgeTails = () => `${tails()}\n${names.map((n) => `--- ${n}\n${existsSync(path.join(dir, `${n}.log`)) ? readFileSync(path.join(dir, `${n}.log`), 'utf8').split('\n').slice(-10).join('\n') : ''}`).join('\n')}`;
  await waitFor(`all ${count} edges UP (caught up) in HAProxy`, async () => {
    const s = await serverStatus(socket);
    return names.every((e) => s.get(e)?.startsWith('UP')) ? true : undefined;
  }, 120_000, edgeTails);

  const events = [];
  let scalerChild = null;
  if (scaler) {
    const generated = JSON.parse(readFileSync(path.join(out, 'site', 'scaler.json'), 'utf8'));
    delete generated['//'];
    const config = {
      ...generated,
      ...scalerSettings,
      socket,
      edges: names.map((name) => ({ name, url: `http://127.0.0.1:${ports.get(name)}`, start: `sh ${ctl} start ${name} ${ports.get(name)}`, stop: `sh ${ctl} stop ${name}` })),
    };
    writeFileSync(path.join(dir, 'scaler.json'), JSON.stringify(config, null, 2));
    scalerChild = spawnLogged('scaler', process.execPath, [path.join(out, 'site', 'scaler.mjs'), path.join(dir, 'scaler.json')], {});
    let buffered = '';
    scalerChild.stdout.on('data', (d) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) {
        try {
          events.push({ ms: Date.now(), ...JSON.parse(line) });
        } catch {}
      }
    });
  }

  return {
    url: `http://127.0.0.1:${sitePort}`,
    cloudUrl,
    cloudPid: cloud.pid,
    haproxyPid: haproxy.pid,
    socket,
    names,
    edgeUrl: (name) => `http://127.0.0.1:${ports.get(name)}`,
    pidOf,
    events,
    tails: edgeTails,
    /** Stops the scaler first (so it starts nothing more), then everything else. */
    async stop() {
      if (scalerChild) {
        const exited = new Promise((r) => scalerChild.once('exit', r));
        kill(scalerChild.pid, 'SIGTERM');
        await Promise.race([exited, sleep(15_000)]);
        kill(scalerChild.pid, 'SIGKILL');
      }
      await Promise.all(names.map((name) => sh([ctl, 'stop', name]).catch(() => undefined)));
      await Promise.all(children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        kill(child.pid, 'SIGTERM');
        await Promise.race([exited, sleep(5000)]);
      }));
    },
  };
}

function kill(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {}
}
