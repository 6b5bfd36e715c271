#!/usr/bin/env bash
# Builds everything and runs every test suite; prints one closing line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/ensure-native-deps.sh nodejs npm ffmpeg chromium
dotnet build StreamDiffusion.Net.sln -c Release -v q -nologo
# House style (.editorconfig, dotnet/runtime's C# conventions): a change that breaks it fails here.
dotnet format StreamDiffusion.Net.sln --verify-no-changes --no-restore -v q
results="$(mktemp -d)"
status=0
dotnet test StreamDiffusion.Net.sln -c Release --no-build --nologo \
  --logger "trx" --results-directory "$results" --logger "console;verbosity=minimal" || status=$?
# A client written from the .proto alone (Node.js) against the real host.
node_log="$results/node-client-check.log"
bash scripts/node-client-check.sh src/StreamHost/bin/Release/net10.0/streamhost.dll > "$node_log" 2>&1 || status=$?
cat "$node_log"
node_line="$(tail -1 "$node_log")"
# A 2-minute soak (scripts/soak.sh: cancels, slow readers, vanished clients) must end in a steady state.
soak_log="$results/soak.log"
if bash scripts/soak.sh 00:02:00 3 > "$soak_log" 2>&1; then
  soak_line="soak: 1 passed, 0 failed, 0 skipped"
else
  status=1
  soak_line="soak: 0 passed, 1 failed, 0 skipped"
fi
grep -v '^ *[0-9]*s  rss' "$soak_log" | tail -12
bash scripts/summarize-trx.sh "$results" "$node_line" "$soak_line"
exit $status
