#!/usr/bin/env bash
# Status list benchmarks (release build):
#  1. `vouch bench status`: a 1,000,000-entry list of each format, served from the cache
#     and flipped-then-re-signed (in-process, scratch SQLite).
#  2. 10,000 index allocations from two `vouch` processes at once on one PostgreSQL
#     (5,000 each), then a check in SQL that all 10,000 entries are distinct.
#   ENTRIES=1000000 ALLOCATIONS=5000 bash benches/status.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ENTRIES="${ENTRIES:-1000000}"; ALLOCATIONS="${ALLOCATIONS:-5000}"
cargo build --release --quiet --bin vouch
BIN="$CARGO_TARGET_DIR/release/vouch"
WORK="$(mktemp -d)"; DB="vouch_bench_status_$$"
pg() { psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
  pg -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" bench status --entries "$ENTRIES"

pg -d postgres -c "CREATE DATABASE $DB"
URL="postgres://postgres@127.0.0.1:5432/$DB"
ENV_ID=$(python3 -c 'import uuid; print(uuid.uuid4())')
export VOUCH_DATABASE_URL="$URL" VOUCH_MASTER_KEY_FILE="$WORK/master.key" VOUCH_LOG_LEVEL=warn
# A server bootstraps the database (environment, keys), then stops.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
VOUCH_BIND="127.0.0.1:$port" VOUCH_BOOTSTRAP_ENVIRONMENT_ID="$ENV_ID" "$BIN" serve >"$WORK/serve.log" 2>&1 & PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=

start=$(date +%s.%N)
"$BIN" bench status-allocate --env "$ENV_ID" --count "$ALLOCATIONS" --print >"$WORK/a.txt" &
A=$!
"$BIN" bench status-allocate --env "$ENV_ID" --count "$ALLOCATIONS" --print >"$WORK/b.txt" &
B=$!
wait "$A"; wait "$B"
end=$(date +%s.%N)
total=$((2 * ALLOCATIONS))
printed=$(cat "$WORK/a.txt" "$WORK/b.txt" | sort -u | wc -l)
rows=$(pg -d "$DB" -c "SELECT count(*) FROM status_entries")
distinct=$(pg -d "$DB" -c "SELECT count(DISTINCT (list_id, idx)) FROM status_entries")
echo "two processes: $total allocations in $(python3 -c "print(round($end - $start, 2))") s; printed distinct $printed, rows $rows, distinct rows $distinct"
[ "$printed" = "$total" ] && [ "$rows" = "$total" ] && [ "$distinct" = "$total" ] || { echo "MISMATCH"; exit 1; }
