#!/usr/bin/env bash
# supervised.sh NAME COMMAND...: run COMMAND as this process (so supervisord's pid is the
# part's own pid, and a signal reaches it directly) with every line of its output, stdout
# and stderr, prefixed by NAME. supervisord copies the prefixed lines to its stdout once.
# The prefixing sed is not our child: HAProxy's master waits for all its children before
# it exits, and would wait for a sed that waits for HAProxy's output to close.
set -eu
name="$1"
shift
prefix="$(printf '%-10s| ' "$name")"
fifo="$(mktemp -u "${TMPDIR:-/tmp}/supervised-$name.XXXXXX")"
mkfifo -m 600 "$fifo"
(sed -u "s/^/$prefix/" <"$fifo" &)
exec >"$fifo" 2>&1
rm -f "$fifo"
exec "$@"
