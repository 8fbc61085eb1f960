#!/usr/bin/env bash
# THE test command (README, CI): installs, builds, prepares the users and groups the tests need
# (root only), then runs every jest project and ends with `tests: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! bash scripts/setup.sh; then
  echo "setup failed"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  # The socket's group, a user inside it and one outside it (access-control e2e tests).
  groupadd -f kepler
  id keplertest >/dev/null 2>&1 || useradd -M -s /bin/sh -G kepler keplertest
  id keplerout >/dev/null 2>&1 || useradd -M -s /bin/sh keplerout
  # A user outside the group with a home directory: the per-user daemon's e2e tests (issue 14).
  id keplerhome >/dev/null 2>&1 || useradd -m -s /bin/sh keplerhome
fi
node scripts/test.mjs "$@"
