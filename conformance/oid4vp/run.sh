#!/usr/bin/env bash
# OpenID4VP wallet interop, end to end: a third-party wallet library (run.mjs) presents
# vouch-issued credentials to vouch presentation sessions, against a fresh release
# `vouch serve` on SQLite and on PostgreSQL (see ../interop.sh). The server may resolve
# did:web on localhost over http (VOUCH_DID_WEB_ALLOW_LOOPBACK), as the wallet's
# holder DIDs and the environment's own DID live there.
#
#   bash conformance/oid4vp/run.sh
#   VOUCH_BIN=/path/to/vouch bash conformance/oid4vp/run.sh     # no cargo build
#   VOUCH_INTEROP_BACKENDS=sqlite bash conformance/oid4vp/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SUITE=oid4vp SUITE_DIR="$here" SERVER_ENV="VOUCH_DID_WEB_ALLOW_LOOPBACK=true" \
  exec bash "$here/../interop.sh"
