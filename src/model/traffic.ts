/**
 * traffic.har: recorded exchanges in HAR 1.2 (the ecosystem's format for HTTP recordings).
 * `edgstr record` writes it; `services` and `analyze` read it through {@link readTraffic}.
 */
import type { Entry, Har } from 'har-format';
import { z } from 'zod';
import { readJsonArtefact } from './read-json.js';

export type { Entry as HarEntry, Har } from 'har-format';

const NameValue = z.looseObject({ name: z.string(), value: z.string() });

const HarEntrySchema = z.looseObject({
  startedDateTime: z.string(),
  time: z.number(),
  request: z.looseObject({
    method: z.string().min(1),
    url: z.string().min(1),
    httpVersion: z.string(),
    headers: z.array(NameValue),
    queryString: z.array(NameValue),
    cookies: z.array(z.unknown()),
    headersSize: z.number(),
    bodySize: z.number(),
    postData: z
      .looseObject({ mimeType: z.string(), text: z.string().optional(), params: z.array(z.unknown()).optional() })
      .optional(),
  }),
  response: z.looseObject({
    status: z.number().int(),
    statusText: z.string(),
    httpVersion: z.string(),
    headers: z.array(NameValue),
    cookies: z.array(z.unknown()),
    content: z.looseObject({ size: z.number(), mimeType: z.string(), text: z.string().optional(), encoding: z.string().optional() }),
    redirectURL: z.string(),
    headersSize: z.number(),
    bodySize: z.number(),
  }),
  cache: z.looseObject({}),
  timings: z.looseObject({ send: z.number(), wait: z.number(), receive: z.number() }),
});

const HarSchema = z.looseObject({
  log: z.looseObject({
    version: z.string(),
    creator: z.looseObject({ name: z.string(), version: z.string() }),
    entries: z.array(HarEntrySchema),
  }),
});

/** Reads and validates a HAR file; a bad one is a one-line UserError naming the file and field. */
export function readTraffic(file: string): Har {
  // The zod schema checks the fields edgstr relies on; the rest of HAR 1.2 passes through as typed.
  return readJsonArtefact(file, HarSchema, 'HAR file', 'record it again with `edgstr record`') as unknown as Har;
}

/** A recorded exchange that failed (no response from the target) is marked with status 0. */
export function isFailedEntry(entry: Entry): boolean {
  return entry.response.status === 0 || (entry as Entry & { _edgstrError?: string })._edgstrError !== undefined;
}
