// Runs on the testbed's client host (testbed.sh): waits until every edge has the cloud as a
// peer and a key range, sends PER_EDGE concurrent creates through every edge, then waits until
// the cloud and every edge hold all of them and the same CRDT documents. Prints one JSON line.
//   node client.mjs CLOUD_URL PER_EDGE EDGE_URL...
const [cloud, perEdgeArg, ...edges] = process.argv.slice(2);
const perEdge = Number(perEdgeArg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const getJson = async (url) => (await fetch(url, { signal: AbortSignal.timeout(5000) })).json();

async function until(what, probe, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const result = { edges: {}, creates: [], served: {}, converged: false };
try {
  for (const url of edges) {
    result.edges[url] = await until(`${url} connected with a key range`, async () => {
      const h = await getJson(`${url}/__edgstr/health`);
      return h.peers.includes('cloud') && h.rangeIndex !== null ? { nodeId: h.nodeId, rangeIndex: h.rangeIndex } : undefined;
    }, 60_000);
  }
  const answers = await Promise.all(edges.flatMap((url) => Array.from({ length: perEdge }, async (_, i) => {
    const res = await fetch(`${url}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `${url} #${i}` }) });
    return { edge: url, status: res.status, served: res.headers.get('x-edgstr-served'), note: await res.json() };
  })));
  result.creates = answers;
  const wanted = answers.map((a) => a.note.text);
  const everywhere = [cloud, ...edges];
  await until('every create everywhere', async () => {
    for (const url of everywhere) {
      const texts = new Set((await getJson(`${url}/notes`)).map((n) => n.text));
      if (!wanted.every((w) => texts.has(w))) return false;
    }
    return true;
  }, 30_000);
  const tables = await Promise.all(everywhere.map(async (url) => JSON.stringify(await getJson(`${url}/notes`))));
  const docs = await until('identical documents', async () => {
    const d = await Promise.all(everywhere.map(async (url) => JSON.stringify((await getJson(`${url}/__edgstr/health?docs`)).docs)));
    return d.every((x) => x === d[0]) ? d : undefined;
  }, 30_000);
  result.converged = tables.every((t) => t === tables[0]) && docs.length === everywhere.length;
  for (const url of edges) result.served[url] = (await getJson(`${url}/__edgstr/health`)).served;
} catch (err) {
  result.error = err instanceof Error ? err.message : String(err);
}
console.log(JSON.stringify(result));
