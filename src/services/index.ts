/**
 * `edgstr services` as a library: the Subject (services with counts and examples) of a HAR, with
 * declared routes from the app's source when given. analyze groups with group-services.ts
 * instead (see there for why).
 */
import type { Har } from 'har-format';
import { findDeclaredRoutes } from './declared-routes.js';
import { inferServices, type Service } from './infer.js';

export { inferServices, pathAndQuery, type DeclaredRoute, type Service } from './infer.js';
export { findDeclaredRoutes } from './declared-routes.js';
export { toOpenApi } from './openapi.js';

export interface SubjectOptions {
  /** App source directory: its declared routes win over inferred templates. */
  appDir?: string;
}

export function describeSubject(har: Har, opts: SubjectOptions = {}): { services: Service[]; declared: number; skipped: string[] } {
  if (!opts.appDir) return { services: inferServices(har), declared: 0, skipped: [] };
  const found = findDeclaredRoutes(opts.appDir);
  return { services: inferServices(har, found.routes), declared: found.routes.length, skipped: found.skipped };
}
