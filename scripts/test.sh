#!/usr/bin/env bash
# The project's full test command: provides PostgreSQL for the sequencer's store suites (scripts/pg-test.sh: the URL
# in $SEQUENCER_TEST_DATABASE_URL, or a throwaway cluster started here and stopped on exit) and Chromium for the
# explorer's browser tests (scripts/chromium-test.sh: $VES_CHROMIUM, or Debian's chromium), then runs
# `npx hardhat test` with this script's arguments and exits with its status.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SEQUENCER_TEST_DATABASE_URL:-}" ]; then
  # A state file of our own, so that concurrent runs never stop each other's cluster.
  PG_TEST_STATE_FILE="$(mktemp "${TMPDIR:-/tmp}/ves-pg-test-state.XXXXXX")"
  export PG_TEST_STATE_FILE
  rm -f "$PG_TEST_STATE_FILE"
  trap 'scripts/pg-test.sh stop || true' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if ! url="$(scripts/pg-test.sh start)"; then
    echo "test.sh: PostgreSQL could not be provided (see above); the sequencer's PostgreSQL tests cannot run" >&2
    exit 1
  fi
  export SEQUENCER_TEST_DATABASE_URL="$url"
fi

# Chromium for the explorer's browser tests (scripts/chromium-test.sh installs Debian's package when missing).
if ! VES_CHROMIUM="$(scripts/chromium-test.sh)"; then
  echo "test.sh: Chromium could not be provided (see above); the explorer's browser tests cannot run" >&2
  exit 1
fi
export VES_CHROMIUM PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

set +e
npx hardhat test "$@"
status=$?
set -e
exit "$status"
