#!/bin/sh
# Makes fish available for the shell-completion test and prints its path (see ensure-debian.sh).
exec sh "$(dirname "$0")/ensure-debian.sh" fish fish /usr/bin/fish /bin/fish
