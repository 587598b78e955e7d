#!/usr/bin/env bash
# Issuance benchmark: a release server on SQLite and on PostgreSQL, loaded by
# `vouch bench issue` (complete pre-authorized flows). Prints flows/s and latency.
#   FLOWS=2000 CONCURRENCY=16 RUNS=3 bash benches/issue.sh
source "$(dirname "$0")/backends.sh"
bench_on_backends issue --flows "${FLOWS:-2000}" --concurrency "${CONCURRENCY:-16}"
