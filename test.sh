#!/usr/bin/env bash
# Builds everything and runs every test suite; prints one closing line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/ensure-native-deps.sh
dotnet build StreamDiffusion.Net.sln -c Release -v q -nologo
results="$(mktemp -d)"
status=0
dotnet test StreamDiffusion.Net.sln -c Release --no-build --nologo \
  --logger "trx" --results-directory "$results" --logger "console;verbosity=minimal" || status=$?
bash scripts/summarize-trx.sh "$results"
exit $status
