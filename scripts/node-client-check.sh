#!/usr/bin/env bash
# Runs the Node.js client check (clients/node/test.mjs) against a real host: starts the already-built
# host on free loopback ports with the real diffusion pipeline on its default model, waits for /healthz,
# runs `node --test`, always stops the host, and exits with the test's status.
#
#   scripts/node-client-check.sh [HOST_DLL]    (default src/StreamHost/bin/Release/net10.0/streamhost.dll)
#
# Builds nothing: run `dotnet build -c Release src/StreamHost` first. Installs the npm packages
# (npm ci) when clients/node/node_modules is missing. The last line is "node: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

dll="${1:-src/StreamHost/bin/Release/net10.0/streamhost.dll}"
if [ ! -f "$dll" ]; then
  echo "node-client-check: host not built: $dll (run: dotnet build -c Release src/StreamHost)" >&2
  exit 2
fi

if [ ! -d clients/node/node_modules ]; then
  (cd clients/node && npm ci --no-audit --no-fund --no-update-notifier --loglevel=error)
fi

# Two free loopback ports: bind port 0, read what the kernel picked, release it.
read -r grpc_port http_port < <(node -e '
  const net = require("node:net");
  const pick = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
  (async () => { const a = await pick(); let b; do { b = await pick(); } while (b === a); console.log(a, b); })();')

work="$(mktemp -d)"
host_log="$work/host.log"
host_pid=""

stop_host() {
  if [ -n "$host_pid" ] && kill -0 "$host_pid" 2>/dev/null; then
    kill -TERM "$host_pid" 2>/dev/null || true
    # The host drains sessions for up to Capacity:DrainTimeout (10 s); none are open by now.
    for _ in $(seq 1 150); do
      kill -0 "$host_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop_host EXIT
trap 'exit 130' INT TERM

dotnet "$dll" serve --grpc "http://127.0.0.1:$grpc_port" --http "http://127.0.0.1:$http_port" >"$host_log" 2>&1 &
host_pid=$!

# Ready when /healthz answers; the first start also writes the default synthetic model to ~/.cache.
ready=0
for _ in $(seq 1 120); do
  if ! kill -0 "$host_pid" 2>/dev/null; then
    echo "node-client-check: the host exited during startup; its log:" >&2
    cat "$host_log" >&2
    exit 1
  fi
  if curl -fsS --max-time 2 "http://127.0.0.1:$http_port/healthz" >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  echo "node-client-check: the host was not healthy within 60 s; its log:" >&2
  cat "$host_log" >&2
  exit 1
fi

echo "node-client-check: host on gRPC 127.0.0.1:$grpc_port, HTTP 127.0.0.1:$http_port"
status=0
# Piped, so node's runner prints TAP (its format for a non-terminal), which the counts are read from.
STREAMDIFFUSION_GRPC="127.0.0.1:$grpc_port" node --test clients/node/test.mjs 2>&1 | tee "$work/tap.txt" || status=$?

count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$work/tap.txt" | tail -1; }
passed="$(count pass)"; failed="$(count fail)"; cancelled="$(count cancelled)"; skipped="$(count skipped)"
if [ "$status" != 0 ]; then
  echo "node-client-check: host log:" >&2
  tail -n 40 "$host_log" >&2
fi
failed=$(( ${failed:-0} + ${cancelled:-0} ))
# A run that failed before any test reported (a crash, a syntax error) still shows as a failure.
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "node: ${passed:-0} passed, ${failed} failed, ${skipped:-0} skipped"
exit "$status"
