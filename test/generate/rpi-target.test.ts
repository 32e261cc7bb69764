/**
 * `--target rpi` as an operator runs it: the systemd units pass `systemd-analyze verify` and run
 * node directly as an unprivileged user; deploy.sh (run for real, against stand-ins for ssh and
 * rsync that record what would run on each host) gives each host its own identity and refuses
 * a host whose Node.js is too old. The multi-host run of deploy.sh is not here (see
 * docs/generate.md, "Testing a deployment").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures.js';

const GENERATED = join(FIXTURES, 'tally', 'expected-rpi');
const scratch = mkdtempSync(join(tmpdir(), 'edgstr-rpi-target-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function unitFile(side: 'edge' | 'cloud'): string {
  return readFileSync(join(GENERATED, side, `edgstr-${side}.service`), 'utf8');
}

describe('the generated systemd units', () => {
  for (const side of ['edge', 'cloud'] as const) {
    it(`edgstr-${side}.service runs node directly as the edgstr user, restarts on failure, logs to the journal`, () => {
      const unit = unitFile(side);
      expect(unit).toMatch(/^User=edgstr$/m);
      expect(unit).not.toMatch(/^User=root$/m);
      expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node /m);
      expect(unit).not.toMatch(/^ExecStart=.*npm/m);
      expect(unit).toMatch(/^Restart=on-failure$/m);
      expect(unit).toMatch(/^StandardOutput=journal$/m);
      expect(unit).toMatch(new RegExp(`^Environment=EDGSTR_DATA_DIR=/var/lib/edgstr-${side}$`, 'm'));
      expect(unit).toMatch(new RegExp(`^EnvironmentFile=-/etc/edgstr/edgstr-${side}.env$`, 'm'));
    });

    it(`edgstr-${side}.service passes systemd-analyze verify`, () => {
      const dir = join(scratch, `unit-${side}`);
      mkdirSync(dir, { recursive: true });
      // verify checks that ExecStart's program exists: point it at this machine's node.
      const node = execFileSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).trim();
      const file = join(dir, `edgstr-${side}.service`);
      writeFileSync(file, unitFile(side).replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${node} `));
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      if (r.error) throw new Error(`systemd-analyze is not installed (apt-get install systemd): ${r.error.message}`);
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

/**
 * A copy of the generated tree with ssh and rsync replaced by scripts that log each call and
 * answer like a host would (`node --version` answers $FAKE_NODE_VERSION).
 */
function deployTree(name: string): { dir: string; log: string; env: NodeJS.ProcessEnv } {
  const dir = join(scratch, name);
  cpSync(GENERATED, dir, { recursive: true });
  const bin = join(dir, 'fake-bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.log');
  writeFileSync(join(bin, 'ssh'), `#!/usr/bin/env bash
host="$1"; shift
cmd="$*"
printf 'ssh %s :: %s\\n' "$host" "$cmd" >> "${log}"
case "$cmd" in
  "node --version") echo "$FAKE_NODE_VERSION" ;;
  "command -v node") echo /usr/local/bin/node ;;
  hostname) echo "\${host#*@}" | tr . - ;;
  *tee*) printf 'stdin %s :: %s\\n' "$host" "$(cat)" >> "${log}" ;;
esac
`);
  writeFileSync(join(bin, 'rsync'), `#!/usr/bin/env bash\nprintf 'rsync %s\\n' "$*" >> "${log}"\n`);
  chmodSync(join(bin, 'ssh'), 0o755);
  chmodSync(join(bin, 'rsync'), 0o755);
  return { dir, log, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_NODE_VERSION: 'v20.19.1' } };
}

describe('deploy.sh', () => {
  it('gives each host its own identity, installs the unit with the host\'s node and restarts it', () => {
    const t = deployTree('two-hosts');
    const r = spawnSync('bash', [join(t.dir, 'deploy.sh'), 'pi@kitchen.local', 'pi@10.0.0.7=pi-garage'], { env: t.env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const calls = readFileSync(t.log, 'utf8');
    // Each host's env file, as piped to `sudo tee` on that host.
    expect(calls).toMatch(/stdin pi@kitchen\.local :: .*\nEDGSTR_NODE_ID=kitchen-local\nEDGSTR_CLOUD_URL=http:\/\/cloud\.lan:3300/);
    expect(calls).toMatch(/stdin pi@10\.0\.0\.7 :: .*\nEDGSTR_NODE_ID=pi-garage\nEDGSTR_CLOUD_URL=http:\/\/cloud\.lan:3300/);
    expect(calls).toContain("sudo mv '/etc/edgstr/edgstr-edge.env.tmp' '/etc/edgstr/edgstr-edge.env'");
    expect(calls).toContain("useradd --system --user-group --no-create-home --home-dir '/var/lib/edgstr-edge' --shell /usr/sbin/nologin 'edgstr'");
    expect(calls).toMatch(/rsync -az --delete --exclude \/node_modules --exclude \/data -e ssh\s+\S+\/edge\/ pi@kitchen\.local:\/opt\/edgstr-edge\//);
    expect(calls).toContain("sed 's#^ExecStart=/usr/bin/node #ExecStart=/usr/local/bin/node #' '/opt/edgstr-edge/edgstr-edge.service'");
    expect(calls).toContain("sudo systemctl restart 'edgstr-edge'");
    expect(r.stdout).toContain("deploy: pi@10.0.0.7 is edge 'pi-garage'");
  });

  it('takes the cloud URL from EDGSTR_CLOUD_URL when given', () => {
    const t = deployTree('cloud-url');
    const r = spawnSync('bash', [join(t.dir, 'deploy.sh'), 'pi@kitchen'], { env: { ...t.env, EDGSTR_CLOUD_URL: 'http://10.0.0.1:3300' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(t.log, 'utf8')).toContain('EDGSTR_CLOUD_URL=http://10.0.0.1:3300');
  });

  it('refuses a host whose Node.js is older than 20, before changing anything there', () => {
    const t = deployTree('old-node');
    const r = spawnSync('bash', [join(t.dir, 'deploy.sh'), 'pi@old'], { env: { ...t.env, FAKE_NODE_VERSION: 'v18.19.0' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('deploy: pi@old has Node.js v18.19.0; the edge needs 20 or later: install it there first (see edge/README.md)');
    expect(readFileSync(t.log, 'utf8').trim()).toBe('ssh pi@old :: node --version');
  });

  it('refuses a node id systemd and the sync hub would not take', () => {
    const t = deployTree('bad-id');
    const r = spawnSync('bash', [join(t.dir, 'deploy.sh'), 'pi@x=my edge'], { env: t.env, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("node id 'my edge' may only use letters, digits and _.:@-");
  });
});
