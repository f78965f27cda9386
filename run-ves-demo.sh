#!/usr/bin/env bash
# The complete VES demonstration in one command: devnet, sequencer, prover, anchor service, four agents and an
# auditor, each a separate process. Options: --events N, --keep-running (alias --keep), --postgres URL.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ]; then
  npm ci
fi
exec node_modules/.bin/hardhat demo "$@"
