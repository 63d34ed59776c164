#!/usr/bin/env bash
# Builds KD-Edge, fits the demo product on images it generates, starts the node, scores two sample images and
# writes an evaluation report of the demo's test set through the node.
# Offline apart from Maven Central for the build; CPU only. The node keeps serving until Ctrl-C,
# unless --exit is given (then it stops after scoring; CI uses that).
set -euo pipefail
cd "$(dirname "$0")"
port="${KDEDGE_PORT:-50051}"
demo="demo"

echo "== building (mvn package)"
mvn -B -q -Dstyle.color=never -DskipTests package

echo "== fitting the demo product into $demo/store"
rm -rf "$demo"
bin/kdedge-calibrate demo --store "$demo/store" --work "$demo/work"

echo "== starting kdedge-node on port $port (plaintext: a demo on this machine; see README for TLS)"
bin/kdedge-node --config edge-config/node.yaml --store "$demo/store" --port "$port" --plaintext &
node_pid=$!
stop_node() {
  # The node ends on SIGTERM with status 143; that is how it is meant to stop, not a failure of this script.
  kill "$node_pid" 2>/dev/null || true
  wait "$node_pid" 2>/dev/null || true
}
trap stop_node EXIT
for _ in $(seq 1 120); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 $node_pid 2>/dev/null || { echo "kdedge-node exited" >&2; exit 1; }
  sleep 0.5
done

echo "== scoring the samples"
# kdedge-calibrate score exits 0 for an OK verdict and 2 for DEFECT; the demo's samples must get theirs.
for sample in good:0 defect:2; do
  name="${sample%%:*}"
  expected="${sample##*:}"
  status=0
  bin/kdedge-calibrate score --node "127.0.0.1:$port" --product demo \
    --image "$demo/work/sample-$name.png" --heatmap "$demo/heatmap-$name.png" || status=$?
  if [ "$status" -ne "$expected" ]; then
    echo "the demo's $name sample got the wrong verdict (exit status $status, expected $expected)" >&2
    exit 1
  fi
done

echo "== evaluating what the node serves on the demo's test set"
bin/kdedge-calibrate evaluate --node "127.0.0.1:$port" --product demo --data "$demo/work/test-set" \
  --json "$demo/evaluation.json" --report "$demo/report.html"

if [ "${1:-}" = "--exit" ]; then
  exit 0
fi
echo "== kdedge-node is serving product 'demo' on port $port (Ctrl-C stops it)"
wait "$node_pid"
