#!/bin/sh
# Makes a nginx binary available for the system tests, and prints its path on the last line
# of stdout. Idempotent: when `nginx` is already installed it only prints the path.
#
# Otherwise, as root with apt-get (Debian, as CI runs), it installs Debian's package `nginx`
# (`apt-get update` first only when the plain install fails, e.g. on a machine whose package lists are
# missing or stale). The package would start its own daemon on :80; unless the machine already has a
# policy-rc.d (Docker images do), a temporary one keeps it from starting. The tests start their own
# server on a free loopback port.
#
# Exits 1 with the reason on stderr when Prometheus cannot be had.
set -eu

found() {
  for candidate in "$(command -v nginx 2>/dev/null || true)" /usr/sbin/nginx /usr/bin/nginx /usr/local/sbin/nginx; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

fail() {
  echo "ensure-nginx: $*" >&2
  exit 1
}

if found >/dev/null; then
  found
  exit 0
fi

[ "$(id -u)" = 0 ] || fail "nginx is not installed and this user is not root, so it cannot be installed here; install Debian's package: sudo apt-get install nginx"
command -v apt-get >/dev/null 2>&1 || fail "nginx is not installed and there is no apt-get to install it with; install nginx on PATH"

POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# written by ensure-nginx.sh for the duration of an install\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT INT TERM
fi

install_package() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    -o DPkg::Lock::Timeout=300 nginx >&2
}

echo "ensure-nginx: installing Debian's package nginx" >&2
if ! install_package; then
  echo "ensure-nginx: install failed; running apt-get update and trying again" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -o DPkg::Lock::Timeout=300 >&2 ||
    fail "apt-get update failed"
  install_package || fail "apt-get install prometheus failed"
fi

found || fail "the package nginx was installed but no nginx binary was found"
