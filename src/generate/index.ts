/**
 * `edgstr generate` as a library: read the artefacts, plan the file set (pure), write it.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { applyFileSet, checkOutputDir } from './apply.js';
import type { Target } from './context.js';
import { k3sCloudUrl } from './k3s.js';
import { planGenerate, type GeneratePlan } from './plan.js';
import { readGenerateInput } from './read-inputs.js';
import { UserError } from '../model/errors.js';

export type { GeneratePlan } from './plan.js';

export interface GenerateRequest {
  workdir: string;
  out: string;
  target: Target;
  /** Default (target node only; rpi requires it): http://127.0.0.1:<the app's port>. */
  cloudUrl?: string;
  edges?: number;
  force?: boolean;
  /** Default: 32 random bytes, hex. */
  secret?: string;
  /** Produce package-lock.json with npm (default true; fixture tests skip it). */
  lockfiles?: boolean;
  /** The compiled runtime to copy (default: edgstr's dist/runtime). */
  runtimeDir?: string;
  /** The command line named in every file header. */
  regenerate?: string;
}

export interface GenerateResult {
  out: string;
  local: string[];
  forwarded: string[];
  replicated: GeneratePlan['replicated'];
  files: number;
  warnings: string[];
}

export async function generate(request: GenerateRequest): Promise<GenerateResult> {
  // On a Pi, the default (loopback) cloud URL is the Pi itself: the edge would forward to and
  // sync with itself.
  if (request.target === 'rpi' && !request.cloudUrl) {
    throw new UserError('--target rpi needs --cloud-url: the cloud\'s address as the Pis reach it, e.g. --cloud-url http://cloud.lan:3000');
  }
  checkOutputDir(resolve(request.out), request.force ?? false);
  const input = readGenerateInput(resolve(request.workdir), request.runtimeDir ? { runtimeDir: request.runtimeDir } : {});
  const plan = planGenerate(input, {
    target: request.target,
    // k3s: the edges reach the cloud by its Service inside the cluster.
    cloudUrl: request.cloudUrl ?? (request.target === 'k3s' ? k3sCloudUrl(input.appName, input.analysis.app.port) : `http://127.0.0.1:${input.analysis.app.port}`),
    edges: request.edges ?? 1,
    secret: request.secret ?? randomBytes(32).toString('hex'),
    regenerate: request.regenerate ?? `edgstr generate --target ${request.target} --out ${request.out} --force`,
  });
  const out = resolve(request.out);
  await applyFileSet(out, plan.files, { force: request.force ?? false, lockfiles: request.lockfiles ?? true, projects: ['edge', 'cloud'] });
  return { out, local: plan.local, forwarded: plan.forwarded, replicated: plan.replicated, files: plan.files.size, warnings: plan.warnings };
}
