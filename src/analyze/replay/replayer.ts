/**
 * One execution = restore the init state, send the request with the execution header, collect
 * its trace. Requests that need earlier recorded writes (a DELETE of a row a recorded POST
 * created) can be replayed after that prefix, restored from init first as well.
 */
import type { ExecTrace } from '../tracer/protocol.js';
import { EXEC_HEADER } from '../tracer/protocol.js';
import type { AppProcess } from './app-process.js';
import { sendRequest, type InResponse } from './http-client.js';
import { toOutRequest, type Recorded } from './requests.js';

export interface Execution {
  request: Recorded;
  response: InResponse;
  trace: ExecTrace;
  ms: number;
}

export class Replayer {
  private n = 0;
  constructor(
    private readonly app: AppProcess,
    private readonly timeoutMs = 30000,
  ) {}

  async run(req: Recorded, prefix: readonly Recorded[] = []): Promise<Execution> {
    const id = `e${++this.n}`;
    await this.app.control('begin', { id });
    for (const p of prefix) await sendRequest(this.app.port, toOutRequest(p, 'prefix', 'x-edgstr-prefix'), this.timeoutMs);
    const t0 = performance.now();
    const response = await sendRequest(this.app.port, toOutRequest(req, id, EXEC_HEADER), this.timeoutMs);
    const ms = performance.now() - t0;
    // let callbacks the request scheduled after answering (logs, appends) finish
    await new Promise((r) => setTimeout(r, 5));
    const trace = await this.app.control<ExecTrace | null>('trace');
    return { request: req, response, ms, trace: trace ?? emptyTrace(id) };
  }
}

function emptyTrace(id: string): ExecTrace {
  return { id, stmts: [], values: [], globalReads: [], globalWrites: [], fieldReads: [], fieldWrites: [], sql: [], files: [], outbound: [], endFrames: [], errors: [] };
}
