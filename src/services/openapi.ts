/** An OpenAPI 3.1 document of the Subject: one operation per service, path params, examples. */
import type { Har } from 'har-format';
import type { Service } from './infer.js';
import { pathAndQuery } from './infer.js';

type Json = Record<string, unknown>;

export function toOpenApi(services: Service[], har: Har, title = 'Subject recorded by edgstr'): Json {
  const paths: Record<string, Json> = {};
  for (const s of services) {
    const oaPath = s.route.replace(/:([A-Za-z_$][\w$]*)/g, '{$1}').replace(/\*/g, '{wildcard}');
    const params = [...oaPath.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const entries = s.entries.map((i) => har.log.entries[i]!);
    const query = new Map<string, string>();
    for (const e of entries) for (const q of e.request.queryString) if (!query.has(q.name)) query.set(q.name, q.value);
    const example = (path: string): Record<string, string> => {
      const out: Record<string, string> = {};
      const re = new RegExp(`^${s.route.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:([A-Za-z_$][\w$]*)/g, '(?<$1>[^/]+)').replace(/\*/g, '(?<wildcard>.*)')}/?$`);
      const m = re.exec(path.split('?')[0]!);
      for (const [k, v] of Object.entries(m?.groups ?? {})) out[k] = decodeURIComponent(v);
      return out;
    };
    const firstParams = entries[0] ? example(pathAndQuery(entries[0].request.url)) : {};
    const op: Json = {
      operationId: s.id.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''),
      summary: `${s.id} (${s.count} recorded)`,
      parameters: [
        ...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' }, ...(firstParams[name] !== undefined ? { example: firstParams[name] } : {}) })),
        ...[...query].map(([name, value]) => ({ name, in: 'query', required: false, schema: { type: 'string' }, example: value })),
      ],
      responses: {} as Json,
    };
    const body = entries.find((e) => e.request.postData?.text);
    if (body?.request.postData) {
      op.requestBody = { content: { [mime(body.request.postData.mimeType)]: { example: exampleValue(body.request.postData.text ?? '', body.request.postData.mimeType) } } };
    }
    const responses = op.responses as Json;
    for (const e of entries) {
      const code = e.response.status === 0 ? 'default' : String(e.response.status);
      if (responses[code]) continue;
      const c = e.response.content;
      responses[code] = {
        description: e.response.statusText || (e.response.status === 0 ? 'no response (target down)' : `HTTP ${e.response.status}`),
        ...(c.text && !c.encoding && c.text.length <= 64_000 ? { content: { [mime(c.mimeType)]: { example: exampleValue(c.text, c.mimeType) } } } : {}),
      };
    }
    if (Object.keys(responses).length === 0) responses.default = { description: 'not recorded' };
    (paths[oaPath] ??= {})[s.method.toLowerCase()] = op;
  }
  return { openapi: '3.1.0', info: { title, version: '0.0.0' }, paths };
}

function mime(m: string): string {
  return m.split(';')[0]!.trim() || 'application/octet-stream';
}

function exampleValue(text: string, mimeType: string): unknown {
  if (/json/i.test(mimeType)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
