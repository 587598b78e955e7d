#!/usr/bin/env bash
# The common runner of the wallet interop suites (conformance/*/run.sh call it): the vouch
# binary (VOUCH_BIN as given, or a release build in $CARGO_TARGET_DIR), the suite's npm
# packages exactly as locked, then per storage backend a fresh `vouch serve` on a free
# port with known bootstrap credentials, the suite's `node run.mjs` against it, and the
# server stopped.
#
#   SUITE=<name> SUITE_DIR=<dir> [SERVER_ENV="VOUCH_X=1 …"] bash conformance/interop.sh
#
# Backends: SQLite (a file in a temp dir) and PostgreSQL (a fresh database
# vouch_interop_<random> on 127.0.0.1:5432 as user postgres, dropped afterwards, also on
# failure). VOUCH_INTEROP_BACKENDS="sqlite" (or "postgres") runs only one. Exits non-zero
# if anything failed.
set -euo pipefail

: "${SUITE:?name the suite}" "${SUITE_DIR:?name the suite folder}"
here="$(cd "$SUITE_DIR" && pwd)"
root="$(cd "$(dirname "$0")/.." && pwd)"
server_env="${SERVER_ENV:-}"
backends="${VOUCH_INTEROP_BACKENDS:-sqlite postgres}"
t_start=$(date +%s)
since() { echo "$(( $(date +%s) - $1 ))s"; }
say() { echo "$SUITE-interop: $*"; }

tools="node npm curl"
[ -n "${VOUCH_BIN:-}" ] || tools="cargo $tools"
for tool in $tools; do
  command -v "$tool" >/dev/null || { say "needs $tool on PATH"; exit 1; }
done

# 1. The binary: VOUCH_BIN as given, or the release build.
t=$(date +%s)
if [ -n "${VOUCH_BIN:-}" ]; then
  bin="$VOUCH_BIN"
  [ -x "$bin" ] || { say "VOUCH_BIN=$bin is not an executable"; exit 1; }
  say "using $bin"
else
  (cd "$root" && cargo build --release --bin vouch --quiet)
  target="${CARGO_TARGET_DIR:-$root/target}"
  case "$target" in /*) ;; *) target="$root/$target" ;; esac
  bin="$target/release/vouch"
  [ -x "$bin" ] || { say "no binary at $bin"; exit 1; }
  say "release build $(since "$t")"
fi

# 2. The npm packages, exactly as locked (ignore-scripts=true in .npmrc), when the
#    installed tree is missing or older than the lock file.
t=$(date +%s)
if [ ! -f "$here/node_modules/.package-lock.json" ] \
   || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  say "npm ci $(since "$t")"
fi

# 3. Per backend: a fresh server, the wallet runs, the server stopped.
work="$(mktemp -d "${TMPDIR:-/tmp}/vouch-$SUITE.XXXXXX")"
server_pid=""
pg_db=""
pg() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_db" ]; then
    pg -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

env_id="$(node -e 'console.log(crypto.randomUUID())')"
client_id="$(node -e 'console.log(crypto.randomUUID())')"
client_secret="interop-$(node -e 'console.log(crypto.randomBytes(18).toString("base64url"))')"

failed=0
run_backend() {
  local name="$1" db_url="$2" t port log rc=0
  t=$(date +%s)
  port="$(free_port)"
  log="$work/$name.log"
  VOUCH_DATABASE_URL="$db_url" \
  VOUCH_BIND="127.0.0.1:$port" \
  VOUCH_PUBLIC_URL="http://localhost:$port" \
  VOUCH_MASTER_KEY_FILE="$work/$name.master.key" \
  VOUCH_BOOTSTRAP_ENVIRONMENT_ID="$env_id" \
  VOUCH_BOOTSTRAP_CLIENT_ID="$client_id" \
  VOUCH_BOOTSTRAP_CLIENT_SECRET="$client_secret" \
  VOUCH_LOG_LEVEL=warn \
    env $server_env "$bin" serve >"$log" 2>&1 &
  server_pid=$!
  local ready=0
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then ready=1; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ready" != 1 ]; then
    say "$name: vouch did not become ready; its log:"
    tail -n 40 "$log" | sed 's/^/  /'
    failed=1
  else
    say "$name: server ready in $(since "$t")"
    (cd "$here" && node run.mjs --label "$name" --base "http://localhost:$port" --env "$env_id" \
      --client-id "$client_id" --client-secret "$client_secret") || rc=$?
    if [ "$rc" != 0 ]; then
      failed=1
      if grep -qiE 'error|warn|panic' "$log"; then
        say "$name: server log errors and warnings (last 40):"
        grep -iE 'error|warn|panic' "$log" | tail -n 40 | sed 's/^/  /'
      fi
    fi
  fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  say "$name: $( [ "$rc" = 0 ] && [ "$ready" = 1 ] && echo passed || echo FAILED ) in $(since "$t")"
}

for backend in $backends; do
  case "$backend" in
    sqlite)
      run_backend sqlite "$work/vouch.db"
      ;;
    postgres)
      if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
        say "postgres: no PostgreSQL at 127.0.0.1:5432"
        failed=1
        continue
      fi
      pg_db="vouch_interop_$(node -e 'console.log(crypto.randomBytes(6).toString("hex"))')"
      pg -c "CREATE DATABASE $pg_db" >/dev/null
      run_backend postgres "postgres://postgres@127.0.0.1:5432/$pg_db"
      pg -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null || true
      pg_db=""
      ;;
    *)
      say "unknown backend $backend (sqlite or postgres)"
      failed=1
      ;;
  esac
done

say "$( [ "$failed" = 0 ] && echo passed || echo FAILED ) in $(since "$t_start")"
exit "$failed"
