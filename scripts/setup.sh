#!/usr/bin/env bash
# Installs what Kepler needs on a fresh Debian machine and builds it: pnpm (corepack, else npm),
# the workspace's dependencies (posix is compiled with the machine's g++), then every package.
# Run from anywhere; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
# Older corepack releases cannot verify newer pnpm signatures; the npm registry is trusted here.
export COREPACK_INTEGRITY_KEYS=0
if ! pnpm --version >/dev/null 2>&1; then
  corepack enable >/dev/null 2>&1 || true
  if ! pnpm --version >/dev/null 2>&1; then
    npm install -g pnpm@10.34.8 >/dev/null
  fi
fi

# cc builds the daemon's fork server (packages/daemon/src/platform/spawner); util-linux gives setpriv
# and prlimit (privilege drop and rlimits for hooks, and for services without the fork server);
# python3 runs examples.
missing=()
for tool in cc setpriv prlimit mkfifo python3; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq gcc libc6-dev util-linux coreutils python3 >/dev/null
fi
# script (bsdutils, Essential on Debian) gives the e2e test of `kepler top` a pseudo-terminal.
if ! command -v script >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -qq bsdutils >/dev/null
fi

# chromium: the dashboard's test drives a real headless browser (e2e/src/http/dashboard.test.ts, with
# puppeteer-core; puppeteer's own browser download cannot work offline).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# systemd-analyze checks the units `kepler export systemd` writes (packages/cli/src/export/examples.test.ts).
if ! command -v systemd-analyze >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
fi

pnpm install --frozen-lockfile --reporter=append-only | tail -n 3
pnpm run build
