#!/bin/sh
if [ -n "${BURN:-}" ] && [ "$BURN" != 0 ]; then
    i=0
    while [ "$i" -lt "${BURN_WORKERS:-1}" ]; do
        sh -c 'while :; do :; done' &
        i=$((i + 1))
    done
fi
exec /bin/busybox httpd -f -p 8080 -h /www
