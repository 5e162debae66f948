#!/bin/sh
mkdir -p /var/log/app
(
    n=0
    while :; do
        n=$((n + 1))
        now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "$now app.log line $n" >>/var/log/app/app.log
        if [ $((n % 5)) -eq 0 ]; then
            echo "$now error.log line $n" >>/var/log/app/error.log
        fi
        echo "$now stdout line $n"
        sleep "${LOG_INTERVAL:-1}"
    done
) &
exec /bin/busybox httpd -f -p 8080 -h /www
