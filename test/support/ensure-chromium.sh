#!/bin/sh
# Makes Chromium available for the dashboard's browser tests and prints its path (see ensure-debian.sh).
exec sh "$(dirname "$0")/ensure-debian.sh" chromium chromium /usr/bin/chromium
