/**
 * Handlebars rendering. Templates live in templates/ (edge/, cloud/, shared/, targets/<target>/)
 * and are compiled with `strict: true` (a field missing from the context throws) and
 * `noEscape: true` (the output is code, not HTML).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type {
  ConfigLoaderContext,
  DeployContext,
  DockerfileContext,
  K3sContext,
  SiteContext,
  EdgeServerContext,
  GlobalsShimContext,
  HeaderContext,
  PreloadContext,
  ReadmeContext,
  RoutesContext,
  SystemdContext,
} from './context.js';

/** templates/ of the edgstr package (src/generate and dist/generate are both two levels down). */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

const handlebars = Handlebars.create();
// A single-quoted JS string literal: {{str id}} -> 'GET /notes/:id'.
handlebars.registerHelper('str', (value: unknown) => `'${String(value).replace(/[\\']/g, '\\$&').replace(/\n/g, '\\n')}'`);
// An environment variable with a default, as HAProxy reads it: {{env 'X' 'a:1'}} -> "${X-a:1}".
handlebars.registerHelper('env', (name: unknown, fallback: unknown) => `"\${${String(name)}-${String(fallback)}}"`);

/** The templates and the context type each one takes. */
export interface TemplateContexts {
  'edge/server.js.hbs': EdgeServerContext;
  'edge/routes.js.hbs': RoutesContext;
  'edge/README.md.hbs': ReadmeContext;
  'cloud/edgstr-preload.js.hbs': PreloadContext;
  'cloud/README.md.hbs': ReadmeContext;
  'shared/edgstr-config.js.hbs': ConfigLoaderContext;
  'shared/edgstr-globals.cjs.hbs': GlobalsShimContext;
  'shared/edgstr-sqlite3.cjs.hbs': GlobalsShimContext;
  'edge/served.js.hbs': GlobalsShimContext;
  'targets/rpi/edgstr.service.hbs': SystemdContext;
  'targets/rpi/deploy.sh.hbs': DeployContext;
  'targets/rpi/site/haproxy.cfg.hbs': SiteContext;
  'targets/rpi/site/scaler.mjs.hbs': SiteContext;
  'targets/rpi/site/README.md.hbs': SiteContext;
  'targets/k3s/namespace.yaml.hbs': K3sContext;
  'targets/k3s/secret.yaml.hbs': K3sContext;
  'targets/k3s/configmap.yaml.hbs': K3sContext;
  'targets/k3s/cloud.yaml.hbs': K3sContext;
  'targets/k3s/edge.yaml.hbs': K3sContext;
  'targets/k3s/kustomization.yaml.hbs': K3sContext;
  'targets/k3s/Dockerfile.hbs': DockerfileContext;
  'targets/k3s/dockerignore.hbs': HeaderContext;
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

export function render<K extends keyof TemplateContexts>(name: K, context: TemplateContexts[K]): string {
  let template = compiled.get(name);
  if (!template) {
    template = handlebars.compile(readFileSync(`${TEMPLATES_DIR}${name}`, 'utf8'), { strict: true, noEscape: true });
    compiled.set(name, template);
  }
  return template(context);
}
