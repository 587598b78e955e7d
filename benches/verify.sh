#!/usr/bin/env bash
# Verification benchmark: a release server on SQLite and on PostgreSQL, loaded by
# `vouch bench verify` (complete OpenID4VP presentation sessions: create, request object,
# SD-JWT VC answer by direct_post, result read back). Prints sessions/s, latency, and
# the p50 of each step.
#   SESSIONS=3000 CONCURRENCY=16 RUNS=3 bash benches/verify.sh
source "$(dirname "$0")/backends.sh"
bench_on_backends verify --sessions "${SESSIONS:-2000}" --concurrency "${CONCURRENCY:-16}"
