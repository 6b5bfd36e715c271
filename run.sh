#!/usr/bin/env bash
# Runs the StreamDiffusion.Net host on its embedded default model (a synthetic pack generated on
# first start into ~/.cache/streamdiffusion). gRPC: 127.0.0.1:50051, web/metrics: 127.0.0.1:8080.
# Extra arguments go to the host, e.g. ./run.sh --model /path/to/optimum-export
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/ensure-native-deps.sh
dotnet build src/StreamHost -c Release -v q -nologo
exec dotnet src/StreamHost/bin/Release/net10.0/streamhost.dll serve "$@"
