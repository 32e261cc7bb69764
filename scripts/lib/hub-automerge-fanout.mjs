#!/usr/bin/env node
// Diagnostic for docs/hub.md: what one change of a replicated global costs the hub in
// Automerge's sync protocol, per connected peer, as the document's history grows. The hub
// relays a change to every peer (generateSyncMessage per peer's sync state), every peer
// acknowledges it, and the hub applies each acknowledgement and answers it (receiveSyncMessage +
// generateSyncMessage): three sync calls per peer per change, the pattern of
// src/runtime/replica.ts (receive -> broadcast) and sync/apply.ts. In-process, no network.
//
// "js api": the runtime's way (Automerge's JS API: each call imports the JS sync state into
// WASM and exports it back). "wasm states": the same calls on the document's backend with the
// sync states kept as WASM objects (a deep import of Automerge's internals: a measurement of
// what keeping them would save, not an API to build on as is).
//
//   node scripts/lib/hub-automerge-fanout.mjs [--peers 50] [--history 200,1000]   (minutes of CPU at 1,000)
import * as A from '@automerge/automerge';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { peers: { type: 'string', default: '50' }, history: { type: 'string', default: '200,1000' } } });
const N = Number(values.peers);
// The package exports no internals: load the WASM bindings by file, from the root node_modules.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const W = createRequire(import.meta.url)(path.join(root, 'node_modules', '@automerge', 'automerge', 'dist', 'mjs', 'wasm_bindgen_output', 'nodejs', 'automerge_wasm.cjs'));

/** CPU ms of this process (user + system): on a shared machine wall time would measure the neighbours. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Hub-side CPU ms per change (all peers), over `changes` changes made one after the other. */
function run(changes, wasmStates) {
  let hub = A.from({ sold: new A.Counter(0) });
  const backend = () => A.getBackend(hub);
  const peers = Array.from({ length: N }, () => ({ doc: A.clone(hub), hs: wasmStates ? W.initSyncState() : A.initSyncState(), ps: A.initSyncState() }));
  const hubGenerate = (p) => {
    if (wasmStates) return backend().generateSyncMessage(p.hs);
    let m;
    [p.hs, m] = A.generateSyncMessage(hub, p.hs);
    return m;
  };
  const hubReceive = (p, m) => {
    if (wasmStates) backend().receiveSyncMessage(p.hs, m);
    else [hub, p.hs] = A.receiveSyncMessage(hub, p.hs, m);
  };
  // In step first (a fresh sync state needs a few round trips), as peers of a running hub are.
  for (const p of peers) {
    for (let i = 0; i < 10; i++) {
      const m = hubGenerate(p);
      if (m) [p.doc, p.ps] = A.receiveSyncMessage(p.doc, p.ps, m);
      let reply;
      [p.ps, reply] = A.generateSyncMessage(p.doc, p.ps);
      if (reply) hubReceive(p, reply);
    }
  }
  let hubMs = 0;
  for (let c = 0; c < changes; c++) {
    hub = A.change(hub, (d) => d.sold.increment(1));
    for (const p of peers) {
      let t = cpuMs();
      const m = hubGenerate(p);
      hubMs += cpuMs() - t;
      if (!m) continue;
      [p.doc, p.ps] = A.receiveSyncMessage(p.doc, p.ps, m);
      let reply;
      [p.ps, reply] = A.generateSyncMessage(p.doc, p.ps);
      if (!reply) continue;
      t = cpuMs();
      hubReceive(p, reply);
      hubGenerate(p);
      hubMs += cpuMs() - t;
    }
  }
  if (peers.some((p) => p.doc.sold.value !== changes)) throw new Error('a peer did not get every change');
  return hubMs / changes;
}

for (const h of values.history.split(',').map(Number)) {
  for (const wasmStates of [false, true]) {
    const ms = run(h, wasmStates);
    console.log(`${N} peers, ${h} changes (mean over the history): ${wasmStates ? 'wasm states' : 'js api     '} ${ms.toFixed(1)} ms of CPU per change at the hub, ${Math.round((ms / N) * 1000)} us per peer`);
  }
}
