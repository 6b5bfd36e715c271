#!/usr/bin/env bash
# Bounded soak of the host on its embedded default model: starts a host on free loopback ports, runs the soak
# clients (tests/StreamDiffusion.Soak: cancels at every point, slow readers, vanished clients, live prompt
# changes) for DURATION (default 00:20:00), samples the host's RSS, managed heap, threads, handles, sessions and
# latency into artifacts/soak/soak.json + soak.png, stops the host, and exits 0 only for a steady state.
#   scripts/soak.sh [DURATION] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-00:20:00}"
clients="${2:-4}"
bash scripts/ensure-native-deps.sh
dotnet build src/StreamHost -c Release -v q -nologo
dotnet build tests/StreamDiffusion.Soak -c Release -v q -nologo
# A random loopback port nobody listens on (bash's /dev/tcp: no python or curl needed on a fresh machine).
free_port() {
  while :; do
    local p=$((20000 + RANDOM % 40000))
    (echo > "/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
grpc_port=$(free_port); http_port=$(free_port)
out=artifacts/soak
mkdir -p "$out"
dotnet src/StreamHost/bin/Release/net10.0/streamhost.dll serve \
  --grpc "http://127.0.0.1:$grpc_port" --http "http://127.0.0.1:$http_port" --max-sessions $((clients + 2)) \
  > "$out/host.log" 2>&1 &
host=$!
trap 'kill $host 2>/dev/null || true; wait $host 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  (echo > "/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && (echo > "/dev/tcp/127.0.0.1/$grpc_port") 2>/dev/null && break
  kill -0 $host 2>/dev/null || { cat "$out/host.log"; echo "host exited" >&2; exit 1; }
  sleep 0.5
done
status=0
dotnet tests/StreamDiffusion.Soak/bin/Release/net10.0/soak.dll --server "http://127.0.0.1:$grpc_port" \
  --http "http://127.0.0.1:$http_port/" --duration "$duration" --clients "$clients" --output "$out" || status=$?
kill -0 $host 2>/dev/null || { echo "the host died during the soak" >&2; tail -50 "$out/host.log"; exit 1; }
exit $status
