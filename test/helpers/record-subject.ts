import { dirname } from 'node:path';
import { snapshotInitState } from '../../src/model/init-state.js';
import { startRecorder } from '../../src/record/recorder.js';
import { runClient, type ClientResult } from './client.js';
import { startSubject, type RunningSubject } from './subjects.js';

export interface RecordSubjectOptions {
  /** Called with the client's result (e.g. to compare its lines with the HAR). */
  onClient?: (result: ClientResult) => void;
  /** Record a private copy of the app placed in this directory (see StartSubjectOptions.copyTo). */
  copyTo?: string;
  /** Keep the app's data as the init state in outFile's directory first, as `record --app` does. */
  initState?: boolean;
  /** Called after the client ran, while the app still runs with what the traffic left in its data. */
  beforeStop?: (subject: RunningSubject) => void;
}

/**
 * Starts subject NAME, records its regression client's traffic through an in-process recorder
 * into outFile (appending if it exists), stops everything and returns outFile. Throws (with the
 * client's output) when the client fails.
 */
export async function recordSubject(name: string, outFile: string, opts: RecordSubjectOptions = {}): Promise<string> {
  const subject = await startSubject(name, opts.copyTo ? { copyTo: opts.copyTo } : {});
  try {
    if (opts.initState) await snapshotInitState(subject.dir, dirname(outFile), [outFile]);
    const rec = await startRecorder({ target: subject.url, port: 0, out: outFile });
    let result: ClientResult;
    try {
      result = await runClient(subject.dir, rec.url);
    } finally {
      await rec.close();
    }
    opts.onClient?.(result);
    opts.beforeStop?.(subject);
    if (result.code !== 0) {
      throw new Error(`client of ${name} failed (exit ${result.code}):\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}\nserver:\n${subject.output().slice(-2000)}`);
    }
    return outFile;
  } finally {
    await subject.stop();
  }
}
