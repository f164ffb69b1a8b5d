#!/bin/sh
# Makes a Prometheus server available for the system tests and prints its path (see ensure-debian.sh).
exec sh "$(dirname "$0")/ensure-debian.sh" prometheus prometheus /usr/bin/prometheus /usr/local/bin/prometheus
