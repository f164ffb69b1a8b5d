#!/bin/sh
# Usage: ensure-debian.sh PACKAGE PROGRAM [PATH...]
# Makes PROGRAM (from Debian's PACKAGE) available for the system tests and prints its path on the last
# line of stdout. Idempotent: when PROGRAM is on PATH or at one of the PATHs, it only prints the path.
#
# Otherwise, as root with apt-get (Debian, as CI runs), it installs PACKAGE (`apt-get update` first only
# when the plain install fails, e.g. on a machine whose package lists are missing or stale). Packages
# that start their own daemon are kept from starting by a temporary policy-rc.d (unless the machine
# already has one, as Docker images do); the tests start their own servers on loopback ports.
#
# Exits 1 with the reason on stderr when PROGRAM cannot be had.
set -eu

PACKAGE=$1
PROGRAM=$2
shift 2

found() {
  for candidate in "$(command -v "$PROGRAM" 2>/dev/null || true)" "$@"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

fail() {
  echo "ensure-debian: $*" >&2
  exit 1
}

if found >/dev/null; then
  found
  exit 0
fi

[ "$(id -u)" = 0 ] || fail "$PROGRAM is not installed and this user is not root, so it cannot be installed here; install Debian's package: sudo apt-get install $PACKAGE"
command -v apt-get >/dev/null 2>&1 || fail "$PROGRAM is not installed and there is no apt-get to install it with; install $PACKAGE"

POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# written by ensure-debian.sh for the duration of an install\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT INT TERM
fi

install_package() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "$PACKAGE" >&2
}

echo "ensure-debian: installing Debian's package $PACKAGE" >&2
if ! install_package; then
  echo "ensure-debian: install failed; running apt-get update and trying again" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -o DPkg::Lock::Timeout=300 >&2 ||
    fail "apt-get update failed"
  install_package || fail "apt-get install $PACKAGE failed"
fi

found || fail "the package $PACKAGE was installed but no $PROGRAM was found"
