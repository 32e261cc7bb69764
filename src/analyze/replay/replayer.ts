/**
 * One execution = restore the init state, replay the recorded requests it depends on (see
 * dependencies.ts), send the request with the execution header, collect its trace. Along the
 * prefix, what the replay issues anew is carried into the requests that follow: sessions (a
 * recorded cookie or bearer token -> the one the replayed login returned) and generated ids
 * (a recorded UUID -> the one the replayed create returned).
 */
import { SessionMap } from '../../model/credentials.js';
import { EchoMap, sentValues } from '../../model/echoed.js';
import type { ExecTrace } from '../tracer/protocol.js';
import { EXEC_HEADER } from '../tracer/protocol.js';
import type { AppProcess } from './app-process.js';
import { sendRequest, type InResponse } from './http-client.js';
import { toOutRequest, type Recorded } from './requests.js';
import { jsonOf, ValueMap } from './value-map.js';

export interface Execution {
  /** The request as it was sent (generated ids and credentials replaced by the replay's own). */
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
    const sessions = new SessionMap();
    const values = new ValueMap();
    const echoes = new EchoMap();
    // Tokens the requests send back that an answer of the prefix issued (a form's anti-forgery token).
    const wanted = [...new Set([...prefix, req].flatMap(sentValues))];
    for (const p of prefix) {
      const sent = this.prepare(p, sessions, values, echoes);
      const res = await sendRequest(this.app.port, toOutRequest(sent, 'prefix', 'x-edgstr-prefix'), this.timeoutMs);
      const actualBody = jsonOf(res.body);
      const recordedBody = jsonOf(p.response);
      sessions.learn({ setCookies: p.setCookies, body: recordedBody }, { setCookies: setCookiesOf(res), body: actualBody });
      values.learn(recordedBody, actualBody);
      if (wanted.length > 0 && p.response && p.response.length < 2_000_000) echoes.learn(p.response.toString('utf8'), res.body.toString('utf8'), wanted);
    }
    const sent = this.prepare(req, sessions, values, echoes);
    const t0 = performance.now();
    const response = await sendRequest(this.app.port, toOutRequest(sent, id, EXEC_HEADER), this.timeoutMs);
    const ms = performance.now() - t0;
    // let callbacks the request scheduled after answering (logs, appends) finish
    await new Promise((r) => setTimeout(r, 5));
    const trace = await this.app.control<ExecTrace | null>('trace');
    return { request: sent, response, ms, trace: trace ?? emptyTrace(id) };
  }

  /** The request with the replay's own ids, tokens and credentials; a credential nobody issued is left out. */
  private prepare(r: Recorded, sessions: SessionMap, values: ValueMap, echoes: EchoMap): Recorded {
    const rewritten = echoes.rewrite(values.rewrite(r));
    const { headers } = sessions.apply(rewritten.headers);
    return { ...rewritten, headers };
  }
}

function setCookiesOf(res: InResponse): string[] {
  const v = res.headers['set-cookie'];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function emptyTrace(id: string): ExecTrace {
  return { id, stmts: [], values: [], globalReads: [], globalWrites: [], fieldReads: [], fieldWrites: [], sql: [], files: [], outbound: [], endFrames: [], errors: [] };
}
