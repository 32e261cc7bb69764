#!/usr/bin/env bash
# Captures the pcap fixtures of test/fixtures/record/ with tcpdump on loopback:
#   http-lo.pcap   (-i lo, Ethernet link type)    + http-lo.expected.json
#   http-any.pcap  (-i any, Linux cooked, 113)     + http-any.expected.json
#   tls-lo.pcap    a TLS handshake on the port (for the "encrypted" error)
#   subject-<name>.pcap  a subject's regression client, when a subject is present (kept < 2 MB)
# Needs root (or CAP_NET_RAW) for tcpdump. Usage: scripts/capture-pcaps.sh [subject]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=test/fixtures/record
mkdir -p "$OUT"
if ! command -v tcpdump >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tcpdump >/dev/null
fi
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# capture IFACE FILE PORT CMD...: tcpdump around CMD, whole packets (-s 0). --immediate-mode and the
# pause before SIGINT matter: libpcap otherwise delivers packets in blocks and the last ones are lost.
capture() {
  local iface=$1 file=$2 port=$3; shift 3
  tcpdump -i "$iface" -s 0 -U -n --immediate-mode -B 65536 -w "$file" "tcp port $port" 2>"$file.log" &
  local td=$!
  sleep 1
  "$@"
  sleep 1.5
  kill -INT "$td"; wait "$td" || true
  echo "captured $file ($(stat -c %s "$file") bytes): $(grep -h "dropped by kernel" "$file.log" || true)"; rm -f "$file.log"
}

PORT=$(free_port)
node scripts/capture-pcaps-server.mjs "$PORT" >/dev/null &
PIDS+=($!)
sleep 0.5
capture lo "$OUT/http-lo.pcap" "$PORT" node scripts/capture-pcaps-client.mjs "http://127.0.0.1:$PORT" "$OUT/http-lo.expected.json"
capture any "$OUT/http-any.pcap" "$PORT" node scripts/capture-pcaps-client.mjs "http://127.0.0.1:$PORT" "$OUT/http-any.expected.json"
capture lo "$OUT/tls-lo.pcap" "$PORT" node scripts/capture-pcaps-client.mjs "http://127.0.0.1:$PORT" /dev/null --tls
echo "$PORT" > "$OUT/pcap-port.txt"

SUBJECT=${1:-donutshop}
if [ -f "subjects/$SUBJECT/src/server.js" ] && [ -f "subjects/$SUBJECT/scripts/client.js" ]; then
  SPORT=$(free_port)
  (cd "subjects/$SUBJECT" && npm run reset --silent >/dev/null 2>&1 || true)
  (cd "subjects/$SUBJECT" && PORT=$SPORT exec node src/server.js >/dev/null 2>&1) &
  PIDS+=($!)
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$SPORT/" && break; sleep 0.2; done
  capture lo "$OUT/subject-$SUBJECT.pcap" "$SPORT" sh -c "cd subjects/$SUBJECT && node scripts/client.js http://127.0.0.1:$SPORT > ../../$OUT/subject-$SUBJECT.client.txt"
  echo "$SPORT" > "$OUT/subject-$SUBJECT.port.txt"
  (cd "subjects/$SUBJECT" && npm run reset --silent >/dev/null 2>&1 || true)
fi
