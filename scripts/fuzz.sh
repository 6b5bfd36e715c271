#!/usr/bin/env bash
# Coverage-guided fuzzing of the host's input edge with AFL++ (Debian) and SharpFuzz: every target in
# tests/StreamDiffusion.Fuzz runs for CASES executions (default 100000) from its seed corpus. Prints one
# line per target (executions, corpus, coverage, crashes, hangs), writes the same as JSON to
# artifacts/fuzz/summary.json, and replays every saved crash with the uninstrumented build so the error shows.
#   scripts/fuzz.sh [CASES] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-100000}"
shift || true
bash scripts/ensure-native-deps.sh afl++
dotnet build tests/StreamDiffusion.Fuzz -c Release -v q -nologo
plain=tests/StreamDiffusion.Fuzz/bin/Release/net10.0/streamdiffusion-fuzz.dll
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(dotnet "$plain" list | awk '{print $1}')
fi

work=artifacts/fuzz
rm -rf "$work" && mkdir -p "$work/out" "$work/seeds"
tools="$work/tools"
dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
# A published copy whose assemblies under test carry AFL++ branch instrumentation.
dotnet publish tests/StreamDiffusion.Fuzz -c Release -o "$work/bin" -v q -nologo
for assembly in StreamDiffusion.Pipeline.dll streamhost.dll; do
  "$tools/sharpfuzz" "$work/bin/$assembly"
done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1
summary="["
status=0
for target in "${targets[@]}"; do
  dotnet "$plain" seeds "$target" "$work/seeds/$target"
  start=$(date +%s)
  afl-fuzz -i "$work/seeds/$target" -o "$work/out/$target" -t 10000 -m none -E "$cases" \
    -- dotnet "$work/bin/streamdiffusion-fuzz.dll" afl "$target" > "$work/$target.log" 2>&1 || status=$?
  stats="$work/out/$target/default/fuzzer_stats"
  value() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
  execs=$(value execs_done); crashes=$(value saved_crashes); hangs=$(value saved_hangs)
  corpus=$(value corpus_count); coverage=$(value bitmap_cvg); seconds=$(( $(date +%s) - start ))
  printf '%-18s %8s executions  %5s corpus  %7s coverage  %s crashes  %s hangs  %ss\n' \
    "$target" "$execs" "$corpus" "$coverage" "$crashes" "$hangs" "$seconds"
  summary+="{\"target\":\"$target\",\"executions\":$execs,\"corpus\":$corpus,\"coverage\":\"$coverage\",\"crashes\":$crashes,\"hangs\":$hangs,\"seconds\":$seconds},"
  if [ "$crashes" != "0" ] || [ "$hangs" != "0" ]; then
    status=1
    find "$work/out/$target/default/crashes" "$work/out/$target/default/hangs" -type f -name 'id:*' -print0 \
      | xargs -0 -r dotnet "$plain" replay "$target" || true
  fi
done
echo "${summary%,}]" > "$work/summary.json"
echo "summary: $work/summary.json"
exit $status
