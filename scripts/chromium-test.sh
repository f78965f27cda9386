#!/usr/bin/env bash
# Provides a Chromium for the explorer's browser tests and prints its path (one line on stdout; everything else goes
# to stderr): $VES_CHROMIUM if set, else Debian's `chromium` (installed with apt-get first when missing, as
# scripts/pg-test.sh does for PostgreSQL). playwright-core drives it; no browser is ever downloaded.
# Fails with a non-zero status and a clear message when Chromium cannot be provided; it never skips.
set -euo pipefail

log() { printf 'chromium-test: %s\n' "$*" >&2; }
die() {
  printf 'chromium-test: error: %s\n' "$*" >&2
  printf 'chromium-test: set VES_CHROMIUM=/path/to/chromium to use an existing Chromium\n' >&2
  exit 1
}

if [ -n "${VES_CHROMIUM:-}" ]; then
  [ -x "$VES_CHROMIUM" ] || die "VES_CHROMIUM=$VES_CHROMIUM is not an executable"
  echo "$VES_CHROMIUM"
  exit 0
fi

find_chromium() {
  local c
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return
    fi
  done
}

path="$(find_chromium)"
if [ -z "$path" ]; then
  [ "$(id -u)" -eq 0 ] || die "Chromium is not installed and installing it needs root"
  command -v apt-get >/dev/null 2>&1 || die "Chromium is not installed and apt-get is unavailable"
  log "installing Debian's chromium package (apt-get)…"
  apt-get update >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2 ||
    die "apt-get install chromium failed"
  path="$(find_chromium)"
  [ -n "$path" ] || die "chromium was installed but is not on PATH"
fi
log "$("$path" --version 2>/dev/null || echo chromium) at $path"
echo "$path"
