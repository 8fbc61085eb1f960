#!/usr/bin/env bash
# Entry point of the test container: a clean state directory, then whatever command was given.
set -euo pipefail
mkdir -p /var/lib/kepler
exec "$@"
