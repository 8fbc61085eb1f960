#!/usr/bin/env bash
# Installs the peers that bench/run.mjs measures Kepler against (issue 12), idempotently:
#   - PM2 from npm into a local prefix (default bench/.peers, gitignored; KEPLER_BENCH_PEERS overrides),
#     never globally, so nothing on the machine changes but that folder;
#   - supervisord from Debian's `supervisor` package, with its system service kept from starting: the
#     benchmark runs its own supervisord with its own config and socket.
#   - nginx and wrk from Debian (issue 15, bench/proxy-bench.mjs), nginx's system service kept from
#     starting the same way: the benchmark runs its own nginx with its own config on a free port.
# Run as root (apt-get). Re-running it does nothing once all are there.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS="${KEPLER_BENCH_PEERS:-$HERE/.peers}"
PM2_VERSION="${PM2_VERSION:-7}"

# Installs Debian packages without starting their system services: policy-rc.d exiting 101 tells
# invoke-rc.d not to start them. One already there (container images ship it) is kept; the one put
# here is removed, even if apt fails.
apt_install_quietly() {
  local placed=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    placed=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
  if [ -n "$placed" ]; then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
}

# ---- PM2 ----------------------------------------------------------------------------------------
if [ -f "$PEERS/node_modules/pm2/package.json" ]; then
  echo "pm2 $(node -p "require('$PEERS/node_modules/pm2/package.json').version") already in $PEERS"
else
  mkdir -p "$PEERS"
  # Its own package.json, so npm installs here and not into the enclosing pnpm workspace.
  [ -f "$PEERS/package.json" ] || echo '{ "name": "kepler-bench-peers", "private": true }' >"$PEERS/package.json"
  (cd "$PEERS" && npm install --no-audit --no-fund --loglevel=error "pm2@$PM2_VERSION")
  echo "pm2 $(node -p "require('$PEERS/node_modules/pm2/package.json').version") installed in $PEERS"
fi

# ---- supervisord --------------------------------------------------------------------------------
if command -v supervisord >/dev/null 2>&1; then
  echo "supervisord $(supervisord --version) already installed"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "installing supervisor needs root (apt-get)" >&2
    exit 1
  fi
  apt_install_quietly supervisor
  echo "supervisord $(supervisord --version) installed"
fi

# If the system service started anyway (no policy-rc.d honoured, or an earlier install), stop and
# disable it: a second supervisord would compete for the CPU the benchmark measures.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now supervisor >/dev/null 2>&1 || true
fi
if [ -f /var/run/supervisord.pid ] || [ -f /run/supervisord.pid ]; then
  if [ -x /etc/init.d/supervisor ]; then /etc/init.d/supervisor stop >/dev/null 2>&1 || true; fi
fi
if command -v update-rc.d >/dev/null 2>&1 && [ -x /etc/init.d/supervisor ]; then
  update-rc.d supervisor disable >/dev/null 2>&1 || true
fi
if pid="$(cat /run/supervisord.pid 2>/dev/null || cat /var/run/supervisord.pid 2>/dev/null)" &&
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  echo "warning: the system supervisord (pid $pid) is still running" >&2
fi
# ---- nginx and wrk (issue 15: bench/proxy-bench.mjs) ---------------------------------------------
if command -v nginx >/dev/null 2>&1 && command -v wrk >/dev/null 2>&1; then
  echo "nginx and wrk already installed"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "installing nginx and wrk needs root (apt-get)" >&2
    exit 1
  fi
  apt_install_quietly nginx wrk
  echo "$(nginx -v 2>&1) and wrk installed"
fi
# The package's own nginx (port 80) is not wanted: the benchmark starts one of its own.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now nginx >/dev/null 2>&1 || true
fi
if [ -x /etc/init.d/nginx ] && [ -f /run/nginx.pid ]; then /etc/init.d/nginx stop >/dev/null 2>&1 || true; fi
echo "peers ready: PM2_DIR=$PEERS, supervisord at $(command -v supervisord), nginx at $(command -v nginx), wrk at $(command -v wrk)"
