#!/usr/bin/env bash
# Installs, idempotently, what the test suite needs beyond the .NET SDK. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# The sqlite3 shell: a test opens the running gateway's store with it, as a developer would.
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
fi

# S3 test server for the S3 blob store tests: 4.0.4 checks SigV4 signatures and expiry like S3 (3.x checks none).
s3rver_dir=.tools/s3rver
if [ ! -f "$s3rver_dir/node_modules/@20minutes/s3rver/lib/cli.js" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
    else
      sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm >/dev/null
    fi
  fi
  mkdir -p "$s3rver_dir"
  npm install --prefix "$s3rver_dir" --no-audit --no-fund --loglevel=error @20minutes/s3rver@4.0.4 >/dev/null
fi
