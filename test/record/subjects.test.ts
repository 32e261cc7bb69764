/**
 * Every subject that exists (has expected.json and a way to start) is recorded through the proxy
 * with its regression client (once per run, shared with the other e2e files: helpers/recorded.ts); the HAR must hold every exchange the client made, and the services
 * (with the app's source) must equal expected.json. Inference without the source is reported.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTraffic } from '../../src/model/traffic.js';
import { describeSubject } from '../../src/services/index.js';
import { pathAndQuery } from '../../src/services/infer.js';
import { listSubjects, recordedTraffic, subjectDir } from '../helpers/index.js';

const subjects = listSubjects();
const inferenceOnly: Record<string, boolean> = {};

describe.runIf(subjects.length > 0)('record + services on every subject', () => {
  it.each(subjects)('%s: HAR holds every exchange, services with --app equal expected.json', async (name) => {
    const recording = await recordedTraffic(name);
    const har = readTraffic(recording.har);
    const recorded = har.log.entries.map((e) => `${e.request.method} ${pathAndQuery(e.request.url)} -> ${e.response.status}`);
    expect(recording.lines.length).toBeGreaterThan(0);
    expect([...recorded].sort()).toEqual([...recording.lines].sort());

    const expected = (JSON.parse(readFileSync(join(subjectDir(name), 'expected.json'), 'utf8')) as { services: { service: string }[] }).services.map((s) => s.service).sort();
    const withApp: string[] = describeSubject(har, { appDir: subjectDir(name) }).services.map((s) => s.id).sort();
    expect(withApp).toEqual(expected);
    const inferred: string[] = describeSubject(har).services.map((s) => s.id).sort();
    inferenceOnly[name] = JSON.stringify(inferred) === JSON.stringify(expected);
    if (!inferenceOnly[name]) {
      console.log(`${name}: inference without --app differs:\n  only inferred: ${inferred.filter((x) => !expected.includes(x)).join(', ')}\n  missing: ${expected.filter((x) => !inferred.includes(x)).join(', ')}`);
    }
  }, 180_000);

  afterAll(() => {
    const ok = Object.values(inferenceOnly).filter(Boolean).length;
    console.log(`services without --app: ${ok}/${Object.keys(inferenceOnly).length} subjects match expected.json exactly`);
  });
});
