#!/usr/bin/env bash
# make test-ironic: Ironic 21.4's own unit suites (ironic.tests.unit.db and
# ironic.tests.unit.conductor) and the backend's tests, against a real
# ironic-etcd (one etcd member, the HTTP API in test mode), through the
# Python backend in python/ironic_etcd. Prints "N passed, N failed" per
# suite; fails when a test fails that python/expected-failures.txt does
# not list.
#   IRONIC_SUITES="db conductor backend" (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
SUITES=${IRONIC_SUITES:-db conductor backend}

work=$(mktemp -d /tmp/ironic-etcd-test-ironic.XXXXXX)
# etcd's data in memory when the machine has /dev/shm: a test store needs
# no durability, and fsyncs on a busy disk doubled the API's time.
data=$(mktemp -d /dev/shm/ironic-etcd-test-ironic.XXXXXX 2>/dev/null || mktemp -d "$work/etcd.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work" "$data"
}
trap cleanup EXIT

go build -o "$work/ironic-etcd" ./cmd/ironic-etcd
read -r etcd_port peer_port api_port < <($PY -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

"$work/ironic-etcd" serve --data-dir "$data" \
	--listen-client-urls "http://127.0.0.1:$etcd_port" \
	--listen-peer-urls "http://127.0.0.1:$peer_port" >"$work/serve.log" 2>&1 &
pids+=($!)
"$work/ironic-etcd" api --testing --read-cache=false --log-format text \
	--endpoints "127.0.0.1:$etcd_port" --listen-address "127.0.0.1:$api_port" \
	>"$work/api.log" 2>&1 &
pids+=($!)
export IRONIC_ETCD_URL="http://127.0.0.1:$api_port"
for _ in $(seq 100); do
	curl -sf "$IRONIC_ETCD_URL/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -sf "$IRONIC_ETCD_URL/readyz" >/dev/null || { cat "$work/serve.log" "$work/api.log"; exit 1; }

export PYTHONPATH="$PWD/python" IRONIC_ETCD_BIN="$work/ironic-etcd"
status=0
for suite in $SUITES; do
	$PY -m ironic_etcd.testing.run "$suite" || status=1
done
exit $status
