/** Worker thread of rebuildInWorker (compaction.ts): saved document in, saved rebuilt document out. */
import * as A from '@automerge/automerge';
import { parentPort, workerData } from 'node:worker_threads';
import { rebuildDoc } from './compaction.js';
import type { DocRoot } from './doc-store.js';

const { saved } = workerData as { saved: Uint8Array };
const out = A.save(rebuildDoc(A.load<DocRoot>(saved)));
parentPort!.postMessage(out);
