#!/usr/bin/env bash
# THE quick start: installs and builds Kepler, shows the baked example config, starts the root daemon
# (state in /var/lib/kepler, or $KEPLER_DAEMON_PATH; reused if one runs), starts the example stack, waits
# until it is ready, then shows `ps` and the last log lines. Needs root (or sudo) for the daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -E"; fi
kepler() { $SUDO ./bin/kepler "$@"; }
example=examples/full/kepler.yaml

echo; echo "== kepler config -f $example (the baked snapshot Kepler will run)"
./bin/kepler config -f "$example" | head -n 40
echo "   ..."

echo; echo "== kepler daemon start -d"
kepler daemon status >/dev/null 2>&1 || kepler daemon start -d

echo; echo "== kepler start -d --wait -f $example"
kepler start -d --wait --timeout 60s -f "$example"

echo; echo "== kepler ps -f $example"
kepler ps -f "$example"

echo; echo "== kepler logs --tail 10 -f $example"
kepler logs --tail 10 -f "$example"

cat <<MSG

The example stack is running. Next:
  ./bin/kepler logs --follow -f $example     # follow the logs (Ctrl+C to stop following)
  ./bin/kepler stop -f $example              # stop the stack
  ./bin/kepler daemon stop                   # stop the daemon (stops every service first)
MSG
