#!/usr/bin/env bash
# OpenID4VCI wallet interop, end to end: a third-party wallet library (run.mjs) against a
# fresh release `vouch serve` on SQLite and on PostgreSQL (see ../interop.sh).
#
#   bash conformance/oid4vci/run.sh
#   VOUCH_BIN=/path/to/vouch bash conformance/oid4vci/run.sh     # no cargo build
#   VOUCH_INTEROP_BACKENDS=sqlite bash conformance/oid4vci/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
SUITE=oid4vci SUITE_DIR="$here" exec bash "$here/../interop.sh"
