#!/usr/bin/env bash
# Sums the TRX files of one test run into the line `N passed, N failed, N skipped`; exits non-zero on any failure.
set -uo pipefail
results=$1
status=${2:-0}
passed=0 failed=0 skipped=0 files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total=$(get total); ok=$(get passed)
  bad=$(( $(get failed) + $(get error) + $(get timeout) + $(get aborted) ))
  passed=$((passed + ok)); failed=$((failed + bad)); skipped=$((skipped + total - ok - bad))
done
projects=$(find "$(dirname "$0")/../tests" -name '*.Tests.csproj' | wc -l)
if [ "$files" -lt "$projects" ]; then
  echo "warning: $projects test projects but $files result files: a test host crashed or did not run"
  failed=$((failed + projects - files))
fi
if [ "$skipped" -gt 0 ]; then
  echo "skipped tests, by reason:"
  awk '/outcome="NotExecuted"/ { match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); want = 1 }
       want && /<Message>/ { sub(/.*<Message>/, ""); sub(/<\/Message>.*/, ""); print $0 "\t" name; want = 0 }' "$results"/*.trx 2>/dev/null |
    sort | awk -F '\t' '{ count[$1]++; if (!($1 in first)) first[$1] = $2 } END { for (r in count) printf "  %d x %s (e.g. %s)\n", count[r], r, first[r] }'
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
