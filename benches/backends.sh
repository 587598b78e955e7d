# Sourced by the HTTP benchmarks (issue.sh, verify.sh): builds the release binary, then
# for SQLite and for a fresh PostgreSQL database starts a `vouch serve` with known
# bootstrap credentials and runs `vouch bench "$@"` against it RUNS times.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
RUNS="${RUNS:-3}"
cargo build --release --quiet --bin vouch
BIN="$CARGO_TARGET_DIR/release/vouch"
WORK="$(mktemp -d)"; DB="vouch_bench_$$"
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true; psql -h 127.0.0.1 -U postgres -qAt -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

run() { # $1 backend name, $2 database url, then the bench subcommand and its flags
  local name="$1" url="$2" port env client secret
  shift 2
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env=$(python3 -c 'import uuid; print(uuid.uuid4())'); client=$(python3 -c 'import uuid; print(uuid.uuid4())'); secret="bench-secret-$RANDOM$RANDOM"
  VOUCH_DATABASE_URL="$url" VOUCH_BIND="127.0.0.1:$port" VOUCH_PUBLIC_URL="http://localhost:$port" \
  VOUCH_MASTER_KEY_FILE="$WORK/$name.key" VOUCH_LOG_LEVEL=warn \
  VOUCH_BOOTSTRAP_ENVIRONMENT_ID="$env" VOUCH_BOOTSTRAP_CLIENT_ID="$client" VOUCH_BOOTSTRAP_CLIENT_SECRET="$secret" \
    "$BIN" serve >"$WORK/$name.log" 2>&1 & PID=$!
  for _ in $(seq 1 100); do curl -sf "http://localhost:$port/readyz" >/dev/null && break; sleep 0.1; done
  for i in $(seq 1 "$RUNS"); do
    printf '%s run %s: ' "$name" "$i"
    "$BIN" bench "$@" --url "http://localhost:$port" --env "$env" --client-id "$client" --client-secret "$secret"
  done
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

bench_on_backends() {
  run sqlite "$WORK/bench.db" "$@"
  psql -h 127.0.0.1 -U postgres -qAt -c "CREATE DATABASE $DB"
  run postgres "postgres://postgres@127.0.0.1:5432/$DB" "$@"
}
