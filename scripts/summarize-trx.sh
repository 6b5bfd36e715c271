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
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
