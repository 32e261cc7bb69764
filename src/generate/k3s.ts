/**
 * `--target k3s`: Kubernetes manifests for a fleet (k3s/*.yaml, applied with `kubectl apply -k
 * k3s/`) and a Dockerfile per project. Pure: options in, file texts out.
 */
import type { DockerfileContext, GenerateOptions, K3sContext, Side } from './context.js';
import { render } from './render.js';

/** Where each side keeps its state in the container (the same paths as on a Pi). */
export const K3S_DATA_DIR = { edge: '/var/lib/edgstr-edge', cloud: '/var/lib/edgstr-cloud' } as const;
const MANIFESTS = ['namespace', 'secret', 'configmap', 'cloud', 'edge', 'kustomization'] as const;

/** A Kubernetes name (RFC 1123 label) from the app's name: lowercase, digits and '-', at most 40 characters. */
export function k3sName(appName: string): string {
  const slug = appName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  return slug === '' ? 'app' : slug;
}

/** The in-cluster URL of the cloud's Service (the edges' default cloud URL with --target k3s). */
export function k3sCloudUrl(appName: string, port: number): string {
  const slug = k3sName(appName);
  return `http://${slug}-cloud.${slug}.svc.cluster.local:${port}`;
}

export interface K3sInput {
  appName: string;
  port: number;
  /** Each side's start command (`node ...`). */
  start: Record<Side, string>;
}

/** Output-relative path -> text. */
export function k3sFiles(input: K3sInput, options: GenerateOptions): Map<string, string> {
  const slug = k3sName(input.appName);
  const image = (side: Side): string => `edgstr/${slug}-${side}:1.0.0`;
  const context: K3sContext = {
    regenerate: options.regenerate,
    appName: input.appName,
    slug,
    namespace: slug,
    secret: options.secret,
    cloudUrl: options.cloudUrl,
    port: input.port,
    edges: options.edges,
    edgeImage: image('edge'),
    edgeImageName: image('edge').replace(/:.*$/, ''),
    cloudImage: image('cloud'),
    edgeDataDir: K3S_DATA_DIR.edge,
    cloudDataDir: K3S_DATA_DIR.cloud,
    edgeStorage: '1Gi',
    cloudStorage: '5Gi',
    edgeLabel: 'edgstr.dev/edge',
  };
  const files = new Map<string, string>();
  for (const name of MANIFESTS) files.set(`k3s/${name}.yaml`, render(`targets/k3s/${name}.yaml.hbs`, context));
  for (const side of ['edge', 'cloud'] as const) {
    const docker: DockerfileContext = {
      regenerate: options.regenerate,
      side,
      cloud: side === 'cloud',
      appName: input.appName,
      image: image(side),
      dataDir: K3S_DATA_DIR[side],
      port: input.port,
      cmd: JSON.stringify(input.start[side].split(' ')),
    };
    files.set(`${side}/Dockerfile`, render('targets/k3s/Dockerfile.hbs', docker));
    files.set(`${side}/.dockerignore`, render('targets/k3s/dockerignore.hbs', { regenerate: options.regenerate }));
  }
  return files;
}
