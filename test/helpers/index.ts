/**
 * Shared test helpers (stable API, used by every area's tests):
 *
 *   freePort()                    -> a TCP port on 127.0.0.1 that was free a moment ago
 *   listSubjects()                -> names of subjects/<name> that have expected.json and a way to start (start script, main, Procfile, server.js...)
 *   startSubject(name, opts?)     -> { name, dir, port, url, stop() }: `npm run reset`, then
 *                                    `npm start` with PORT set; resolves once it answers HTTP;
 *                                    stop() kills its process group and resets again;
 *                                    { copyTo: dir } runs a private copy in dir instead (no lock)
 *   runClient(name, baseUrl)      -> { code, stdout, stderr, lines }: the subject's regression client
 *   recordSubject(name, outFile)  -> outFile: subject + in-process recorder + client through the proxy
 *   recordedTraffic(name)         -> { har, lines }: the same, recorded once per run and shared (read-only)
 *   runEdgstr(args, timeoutMs)    -> { code, stdout, stderr } of bin/edgstr
 * A NAME may also be an absolute app directory (an app kept outside subjects/, e.g. a fixture).
 *
 * A subject's state lives in its own directory, so one subject runs at most once at a time across
 * all vitest workers: startSubject holds a lock file in the OS temp dir until stop().
 */
export { freePort } from './ports.js';
export { listSubjects, resetSubject, startSubject, subjectDir, type StartSubjectOptions, type RunningSubject } from './subjects.js';
export { runClient, type ClientResult } from './client.js';
export { recordSubject, type RecordSubjectOptions } from './record-subject.js';
export { recordedTraffic, type Recording } from './recorded.js';
export { runEdgstr } from './edgstr.js';
