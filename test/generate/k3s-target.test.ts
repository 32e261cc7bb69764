/**
 * `--target k3s`: the manifests validate offline against the Kubernetes API schemas
 * (kubernetes-models), and say what an operator relies on: the edges are a StatefulSet whose
 * pod name is EDGSTR_NODE_ID, with a volume for EDGSTR_DATA_DIR, readiness on "caught up with
 * the cloud", liveness on the health endpoint; the cloud is one Deployment with its volume; the
 * Dockerfiles run what `npm start` runs. No cluster and no docker engine here: nothing is applied
 * or built (see docs/generate.md, "k3s").
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apps, v1 } from 'kubernetes-models';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/index.js';
import { FIXTURES } from './fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'edgstr-k3s-target-'));
const out = join(scratch, 'out');

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

/** Validates one resource against its schema; throws with the schema's complaint. */
function validate(resource: Resource): void {
  const models: Record<string, new (data: never) => { validate(): void }> = {
    'v1/Namespace': v1.Namespace,
    'v1/Secret': v1.Secret,
    'v1/ConfigMap': v1.ConfigMap,
    'v1/Service': v1.Service,
    'v1/PersistentVolumeClaim': v1.PersistentVolumeClaim,
    'apps/v1/StatefulSet': apps.v1.StatefulSet,
    'apps/v1/Deployment': apps.v1.Deployment,
  };
  const Model = models[`${resource.apiVersion}/${resource.kind}`];
  if (!Model) throw new Error(`no schema for ${resource.apiVersion} ${resource.kind}`);
  new Model(resource as never).validate();
}

function manifest(name: string): Resource[] {
  const docs = parseAllDocuments(readFileSync(join(out, 'k3s', `${name}.yaml`), 'utf8'));
  for (const d of docs) if (d.errors.length > 0) throw new Error(`${name}.yaml: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as Resource);
}

function find<T>(kind: string, resources: Resource[]): T {
  const found = resources.find((r) => r.kind === kind);
  if (!found) throw new Error(`no ${kind}`);
  return found as unknown as T;
}

interface Container {
  image: string;
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts: { name: string; mountPath: string; subPath?: string }[];
  readinessProbe: { httpGet?: { path: string; port: string } };
  livenessProbe: { httpGet?: { path: string; port: string }; tcpSocket?: { port: string } };
}
interface PodSpec {
  containers: Container[];
  nodeSelector?: Record<string, string>;
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

beforeAll(async () => {
  const runtimeDir = join(scratch, 'runtime');
  mkdirSync(runtimeDir, { recursive: true });
  writeFileSync(join(runtimeDir, 'index.js'), 'export {};\n');
  await generate({ workdir: join(FIXTURES, 'tally', 'input'), out, target: 'k3s', edges: 3, secret: 'fixture-secret', lockfiles: false, runtimeDir });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('generate --target k3s --edges 3 (tally)', () => {
  const files = ['namespace', 'secret', 'configmap', 'cloud', 'edge'];

  for (const file of files) {
    it(`k3s/${file}.yaml validates against the Kubernetes schemas`, () => {
      const resources = manifest(file);
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) {
        expect(() => validate(r), `${r.kind} ${r.metadata.name}`).not.toThrow();
        if (r.kind !== 'Namespace') expect(r.metadata.namespace).toBe('tally');
      }
    });
  }

  it('the schemas catch a wrong manifest (the validation can fail)', () => {
    const edge = find<{ spec: { replicas: unknown } }>('StatefulSet', manifest('edge'));
    edge.spec.replicas = '3';
    expect(() => validate(edge as unknown as Resource)).toThrow(/replicas must be integer/);
  });

  it('kustomization.yaml lists every manifest', () => {
    const [k] = manifest('kustomization') as unknown as { resources: string[] }[];
    expect([...k!.resources].sort()).toEqual(files.map((f) => `${f}.yaml`).sort());
  });

  it('the edges are a StatefulSet: node id = pod name, a volume for EDGSTR_DATA_DIR, ready = caught up', () => {
    const set = find<{ spec: { replicas: number; serviceName: string; volumeClaimTemplates: { metadata: { name: string } }[]; template: { spec: PodSpec } } }>('StatefulSet', manifest('edge'));
    expect(set.spec.replicas).toBe(3);
    const pod = set.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'edgstr.dev/edge': 'true' });
    const c = pod.containers[0]!;
    expect(c.env.find((e) => e.name === 'EDGSTR_NODE_ID')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(c.env.find((e) => e.name === 'EDGSTR_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: 'tally-sync', key: 'EDGSTR_SECRET' });
    const dataDir = c.env.find((e) => e.name === 'EDGSTR_DATA_DIR')?.value;
    expect(dataDir).toBe('/var/lib/edgstr-edge');
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: dataDir });
    expect(set.spec.volumeClaimTemplates.map((v) => v.metadata.name)).toEqual(['data']);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/__edgstr/health?ready', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/__edgstr/health', port: 'http' });
    const services = manifest('edge').filter((r) => r.kind === 'Service') as unknown as { metadata: { name: string }; spec: { sessionAffinity?: string; clusterIP?: string } }[];
    expect(services.find((s) => s.metadata.name === set.spec.serviceName)?.spec.clusterIP).toBe('None');
    expect(services.find((s) => s.metadata.name === 'tally-edge')?.spec.sessionAffinity).toBe('ClientIP');
  });

  it('the cloud is one Deployment with its volume, and the edges reach it by its Service', () => {
    const resources = manifest('cloud');
    const deployment = find<{ spec: { replicas: number; strategy: { type: string }; template: { spec: PodSpec } } }>('Deployment', resources);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const claim = find<Resource>('PersistentVolumeClaim', resources);
    expect(deployment.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: claim.metadata.name } });
    const c = deployment.spec.template.spec.containers[0]!;
    expect(c.volumeMounts.map((m) => m.mountPath).sort()).toEqual(['/app/app', '/var/lib/edgstr-cloud']);
    const port = (find<{ spec: { ports: { port: number }[] } }>('Service', resources)).spec.ports[0]!.port;
    const config = find<{ data: Record<string, string> }>('ConfigMap', manifest('configmap'));
    expect(config.data.EDGSTR_CLOUD_URL).toBe(`http://tally-cloud.tally.svc.cluster.local:${port}`);
    const edgeConfig = JSON.parse(readFileSync(join(out, 'edge', 'config.json'), 'utf8')) as { cloudUrl: string };
    expect(edgeConfig.cloudUrl).toBe(config.data.EDGSTR_CLOUD_URL);
  });

  it('the Secret carries the sync secret of the generated configs', () => {
    const secret = find<{ stringData: Record<string, string> }>('Secret', manifest('secret'));
    expect(secret.stringData.EDGSTR_SECRET).toBe('fixture-secret');
  });

  for (const side of ['edge', 'cloud'] as const) {
    it(`${side}/Dockerfile runs what npm start runs, as the node user`, () => {
      const dockerfile = readFileSync(join(out, side, 'Dockerfile'), 'utf8');
      const pkg = JSON.parse(readFileSync(join(out, side, 'package.json'), 'utf8')) as { scripts: { start: string } };
      const cmd = /^CMD (.*)$/m.exec(dockerfile)?.[1];
      expect(JSON.parse(cmd!)).toEqual(pkg.scripts.start.split(' '));
      expect(dockerfile).toMatch(/^FROM node:20/m);
      expect(dockerfile).toMatch(/^USER node$/m);
      expect(readFileSync(join(out, side, '.dockerignore'), 'utf8')).toMatch(/^node_modules$/m);
    });
  }

  it('the READMEs explain the k3s fleet and the other paths', () => {
    const readme = readFileSync(join(out, 'edge', 'README.md'), 'utf8');
    expect(readme).toContain('## k3s fleet');
    expect(readme).toContain('--target rpi');
    expect(readFileSync(join(out, 'cloud', 'README.md'), 'utf8')).toContain('## k3s');
  });
});
