#!/usr/bin/env bash
# Sums the counters of every .trx file in a folder into one closing line: "N passed, N failed, N skipped".
set -euo pipefail
passed=0; failed=0; skipped=0
for trx in "$1"/*.trx; do
  [ -e "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done
# Optional extra lines "name: N passed, N failed, N skipped" (e.g. the Node client check) are added in.
shift
for line in "$@"; do
  p="$(echo "$line" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')"
  f="$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')"
  s="$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1})); skipped=$((skipped + ${s:-0}))
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
