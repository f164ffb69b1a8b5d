#!/bin/sh
# Makes h2load (Debian's package nghttp2-client) available for bench/router.mjs, which uses it for the
# fixed-rate latency runs (`--h1 --rps`, per-request latencies in `--log-file`; wrk2 is not in Debian and
# wrk cannot hold a fixed rate), and prints its path (see ensure-debian.sh).
exec sh "$(dirname "$0")/ensure-debian.sh" nghttp2-client h2load /usr/bin/h2load /usr/local/bin/h2load
