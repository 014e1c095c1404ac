#!/usr/bin/env bash
# The test command (README, .ci/run): installs and starts what the tests need, idempotently; builds;
# runs every test project against real processes; prints one line of totals; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)

./eng/install-test-deps.sh || { echo "installing test dependencies failed"; exit 1; }

configuration=${CONFIGURATION:-Release}
dotnet build XRay.sln -c "$configuration" -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed (build failed)"; exit 1; }

results="$root/TestResults/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$results"
dotnet test XRay.sln -c "$configuration" --no-build --logger "trx" --results-directory "$results" "$@"
status=$?

./eng/print-totals.sh "$results" "$status"
