#!/usr/bin/env bash
# SIOPv2 / ID1 wallet interop, end to end: a third-party SIOP wallet library
# (@sphereon/did-auth-siop, run.mjs) answers vouch's legacy ID1 presentation sessions
# (DIF JWT VC Presentation Profile) with vouch-issued credentials, against a fresh release
# `vouch serve` on SQLite and on PostgreSQL (see ../interop.sh). The server may resolve
# did:web on localhost over http (VOUCH_DID_WEB_ALLOW_LOOPBACK), as the environment's own
# DID lives there.
#
#   bash conformance/siop/run.sh
#   VOUCH_BIN=/path/to/vouch bash conformance/siop/run.sh     # no cargo build
#   VOUCH_INTEROP_BACKENDS=sqlite bash conformance/siop/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SUITE=siop SUITE_DIR="$here" SERVER_ENV="VOUCH_DID_WEB_ALLOW_LOOPBACK=true" \
  exec bash "$here/../interop.sh"
