#!/bin/sh
# Makes nginx available for the system tests and benchmarks and prints its path (see ensure-debian.sh).
exec sh "$(dirname "$0")/ensure-debian.sh" nginx nginx /usr/sbin/nginx /usr/bin/nginx /usr/local/sbin/nginx
