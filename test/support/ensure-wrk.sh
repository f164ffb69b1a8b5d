#!/bin/sh
# Makes wrk (Debian's package, a C HTTP load generator) available for bench/router.mjs and prints its path
# (see ensure-debian.sh).
exec sh "$(dirname "$0")/ensure-debian.sh" wrk wrk /usr/bin/wrk /usr/local/bin/wrk
