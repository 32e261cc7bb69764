// A stand-in for systemctl on the testbed's edge hosts, where systemd cannot run (testbed.sh).
// It does what deploy.sh asks of systemd with an installed unit file, and no more:
//   daemon-reload, enable UNIT   nothing to do
//   restart UNIT                 stops the unit's process (if running) and starts its ExecStart
//                                as its User/Group, in its WorkingDirectory, with its
//                                Environment= and EnvironmentFile= (later ones override), after
//                                creating its StateDirectory owned by that user
//   stop UNIT, is-active UNIT
// Not done: Restart=, sandboxing (ProtectSystem, ...), the journal (output goes to
// /var/lib/systemd-standin/UNIT.log on that host).
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const [command, unitArg] = process.argv.slice(2);
const STATE = '/var/lib/systemd-standin';

function fail(message) {
  console.error(`systemctl (testbed stand-in): ${message}`);
  process.exit(1);
}

function readUnit(name) {
  const file = `/etc/systemd/system/${name.replace(/\.service$/, '')}.service`;
  if (!existsSync(file)) fail(`Unit ${name}.service not found.`);
  const unit = { environment: [], environmentFiles: [] };
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'Environment') unit.environment.push(value);
    else if (key === 'EnvironmentFile') unit.environmentFiles.push(value);
    else unit[key] = value;
  }
  return unit;
}

function pidFile(name) {
  return `${STATE}/${name}.pid`;
}

function running(name) {
  if (!existsSync(pidFile(name))) return null;
  const pid = Number(readFileSync(pidFile(name), 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

async function stop(name) {
  const pid = running(name);
  if (pid === null) return;
  process.kill(-pid, 'SIGTERM');
  for (let i = 0; i < 150 && running(name) !== null; i++) await new Promise((r) => setTimeout(r, 100));
  if (running(name) !== null) process.kill(-pid, 'SIGKILL');
  rmSync(pidFile(name), { force: true });
}

function start(name) {
  const unit = readUnit(name);
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };
  const assign = (text) => {
    const eq = text.indexOf('=');
    if (eq > 0) env[text.slice(0, eq).trim()] = text.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  };
  unit.environment.forEach(assign);
  for (const spec of unit.environmentFiles) {
    const optional = spec.startsWith('-');
    const file = optional ? spec.slice(1) : spec;
    if (!existsSync(file)) {
      if (optional) continue;
      fail(`${name}: EnvironmentFile ${file} is missing`);
    }
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim() && !line.trim().startsWith('#')) assign(line);
  }
  const user = unit.User ?? 'root';
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', unit.Group ?? user], { encoding: 'utf8' }).trim());
  if (unit.StateDirectory) {
    const dir = `/var/lib/${unit.StateDirectory}`;
    mkdirSync(dir, { recursive: true });
    chownSync(dir, uid, gid);
  }
  env.HOME = unit.StateDirectory ? `/var/lib/${unit.StateDirectory}` : '/';
  mkdirSync(STATE, { recursive: true });
  const log = openSync(`${STATE}/${name}.log`, 'a');
  const argv = unit.ExecStart.split(/\s+/);
  const child = spawn('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--init-groups', '--', ...argv], {
    cwd: unit.WorkingDirectory ?? '/',
    env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  writeFileSync(pidFile(name), String(child.pid));
  child.unref();
}

const name = unitArg?.replace(/\.service$/, '');
switch (command) {
  case 'daemon-reload':
    break;
  case 'enable':
    readUnit(name);
    break;
  case 'restart':
    await stop(name);
    start(name);
    break;
  case 'stop':
    await stop(name);
    break;
  case 'is-active':
    if (running(name) === null) {
      console.log('inactive');
      process.exit(3);
    }
    console.log('active');
    break;
  default:
    fail(`unsupported command ${command}`);
}
