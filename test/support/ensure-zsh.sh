#!/bin/sh
# Makes zsh available for the shell-completion test and prints its path (see ensure-debian.sh).
exec sh "$(dirname "$0")/ensure-debian.sh" zsh zsh /usr/bin/zsh /bin/zsh
