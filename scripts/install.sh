#!/usr/bin/env bash
# Installs Kepler from this checkout for every user of the machine (run as root):
#   1. builds it (scripts/setup.sh: pnpm, dependencies, every package) unless --no-build;
#   2. makes what the CLI needs readable by every user (see "Permissions" below);
#   3. links $PREFIX/bin/kepler -> <checkout>/bin/kepler (default PREFIX=/usr/local);
#   4. creates the `kepler` group if missing (its members may use the CLI);
#   5. installs the systemd unit as $SYSTEMD_DIR/kepler.service (default /etc/systemd/system) when
#      systemd is present, and reloads systemd only when systemd is running (and SYSTEMD_DIR is the
#      default). It never enables or starts the unit: it prints the next steps instead.
#
# `--uninstall` removes the link and the unit (only if they are Kepler's) and leaves the group, the
# state directory (/var/lib/kepler) and the checkout alone. It refuses while the unit is active.
#
# Permissions: only `o+rX` is added (read, and search/execute where already executable for someone)
# on bin/, package.json, node_modules/ and each package's package.json, dist/ and node_modules/. Nothing
# is removed, nothing becomes writable, sources and other files are not touched. The directories above
# the checkout must already be searchable by everyone (a checkout under /root is not: move it, e.g. to
# /opt/kepler); the script warns when they are not, since then only root can run `kepler`.
#
# Environment: PREFIX, SYSTEMD_DIR (tests install into a temporary directory with both).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd -P)
PREFIX=${PREFIX:-/usr/local}
DEFAULT_SYSTEMD_DIR=/etc/systemd/system
SYSTEMD_DIR=${SYSTEMD_DIR:-$DEFAULT_SYSTEMD_DIR}
UNIT_SOURCE="$REPO/packaging/systemd/kepler.service"
UNIT_NAME=kepler.service
LINK="$PREFIX/bin/kepler"
TARGET="$REPO/bin/kepler"

usage() {
  echo "usage: sudo [PREFIX=/usr/local] [SYSTEMD_DIR=/etc/systemd/system] $0 [--no-build] [--uninstall]"
}

build=1
uninstall=0
for arg in "$@"; do
  case $arg in
    --no-build) build=0 ;;
    --uninstall) uninstall=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
done

say() { printf 'kepler install: %s\n' "$*"; }
die() {
  printf 'kepler install: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (sudo $0 $*)"

systemd_running() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }
systemd_present() { [ -d "$SYSTEMD_DIR" ] || command -v systemctl >/dev/null 2>&1; }
# systemctl is only ever called for the real unit directory of a running systemd.
manage_systemd() { systemd_running && [ "$SYSTEMD_DIR" = "$DEFAULT_SYSTEMD_DIR" ]; }

if [ "$uninstall" = 1 ]; then
  if manage_systemd && systemctl is-active --quiet kepler 2>/dev/null; then
    die "the kepler unit is running: stop it first (sudo systemctl disable --now kepler; this stops every service)"
  fi
  if [ -L "$LINK" ] && [ "$(readlink "$LINK")" = "$TARGET" ]; then
    rm -f "$LINK"
    say "removed $LINK"
  elif [ -e "$LINK" ] || [ -L "$LINK" ]; then
    say "left $LINK alone: it does not point to $TARGET"
  fi
  unit="$SYSTEMD_DIR/$UNIT_NAME"
  if [ -f "$unit" ] && grep -q 'kepler daemon start' "$unit"; then
    if manage_systemd; then systemctl disable kepler >/dev/null 2>&1 || true; fi
    rm -f "$unit"
    if manage_systemd; then systemctl daemon-reload; fi
    say "removed $unit"
  fi
  say "left in place: the kepler group, the state directory (/var/lib/kepler or \$KEPLER_DAEMON_PATH), $REPO"
  exit 0
fi

if [ "$build" = 1 ]; then
  say "building (scripts/setup.sh)"
  bash "$REPO/scripts/setup.sh"
fi
[ -x "$TARGET" ] || die "$TARGET is missing or not executable"
[ -f "$REPO/packages/cli/dist/main.js" ] || die "not built: run without --no-build (or pnpm install && pnpm build)"
[ -f "$REPO/packages/daemon/dist/main.js" ] || die "the daemon is not built: run without --no-build"

# Read access for every user to what `kepler` loads (see "Permissions" above).
readable=("$REPO/bin" "$REPO/package.json" "$REPO/node_modules")
for pkg in "$REPO"/packages/*/; do
  for p in package.json dist node_modules; do
    [ -e "$pkg$p" ] && readable+=("$pkg$p")
  done
done
chmod -R o+rX "${readable[@]}"
dir=$REPO
while [ "$dir" != / ]; do
  if [ "$(( 0$(stat -c '%a' "$dir") & 01 ))" = 0 ]; then
    say "WARNING: $dir is not searchable by other users: only root can run kepler from $REPO (move the checkout, e.g. to /opt/kepler)"
    break
  fi
  dir=$(dirname "$dir")
done

mkdir -p "$PREFIX/bin"
if [ -e "$LINK" ] && [ ! -L "$LINK" ]; then
  die "$LINK exists and is not a symbolic link: remove it first"
fi
ln -sfn "$TARGET" "$LINK"
say "linked $LINK -> $TARGET"
"$LINK" --version >/dev/null || die "$LINK --version failed"

if getent group kepler >/dev/null; then
  say "group kepler exists"
else
  groupadd --system kepler
  say "created group kepler"
fi

unit_installed=0
if systemd_present; then
  mkdir -p "$SYSTEMD_DIR"
  # The packaged unit names /usr/local/bin/kepler: point it at this PREFIX.
  sed "s#/usr/local/bin/kepler#$LINK#g" "$UNIT_SOURCE" >"$SYSTEMD_DIR/$UNIT_NAME.tmp"
  chmod 0644 "$SYSTEMD_DIR/$UNIT_NAME.tmp"
  mv "$SYSTEMD_DIR/$UNIT_NAME.tmp" "$SYSTEMD_DIR/$UNIT_NAME"
  unit_installed=1
  say "installed $SYSTEMD_DIR/$UNIT_NAME"
  if manage_systemd; then systemctl daemon-reload; fi
else
  say "systemd not found: no unit installed (start the daemon with: sudo kepler daemon start -d)"
fi

cat <<EOF

Next steps:
  sudo usermod -aG kepler <user>     # CLI access; the user logs in again (members are root-equivalent)
EOF
if [ "$unit_installed" = 1 ]; then
  cat <<EOF
  sudo systemctl enable --now kepler # start the daemon now and at boot
  systemctl status kepler
EOF
else
  echo "  sudo kepler daemon start -d        # start the daemon"
fi
echo "  kepler --help"
