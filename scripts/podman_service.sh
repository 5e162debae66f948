#!/bin/sh
# Run Podman's Docker-compatible API service on a unix socket.
#
#   scripts/podman_service.sh start [SOCKET]   start it (unless already up), wait
#                                              until /_ping answers, print SOCKET
#   scripts/podman_service.sh stop  [SOCKET]   stop the service started for SOCKET
#   scripts/podman_service.sh status [SOCKET]  exit 0 when /_ping answers
#
# SOCKET defaults to $PODMAN_SOCKET or /run/hosting/podman.sock. The pid goes
# to SOCKET.pid and the service's output to SOCKET.log. Use the socket with
#   docker.DockerClient(base_url="unix://SOCKET")  or  DOCKER_HOST=unix://SOCKET
# Registries marked insecure in /etc/containers/registries.conf.d/ are read
# when the service starts: restart it after scripts/install_system.sh changed them.
set -eu

cmd="${1:-start}"
sock="${2:-${PODMAN_SOCKET:-/run/hosting/podman.sock}}"
case "$sock" in
    unix://*) sock="${sock#unix://}" ;;
esac
pidfile="$sock.pid"
logfile="$sock.log"
timeout_s="${PODMAN_SERVICE_TIMEOUT:-20}"

ping() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 2 --unix-socket "$sock" http://d/_ping >/dev/null 2>&1
    else
        python3 - "$sock" <<'PY' >/dev/null 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
sys.exit(0 if s.recv(64).split(b" ")[1] == b"200" else 1)
PY
    fi
}

running_pid() {
    [ -f "$pidfile" ] || return 1
    pid="$(cat "$pidfile")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

case "$cmd" in
start)
    if running_pid >/dev/null && ping; then
        echo "$sock"
        exit 0
    fi
    mkdir -p "$(dirname "$sock")"
    rm -f "$sock"
    # setsid: the service outlives this script and is not hit by the
    # caller's Ctrl-C; --time=0: never exit for idleness.
    setsid podman system service --time=0 "unix://$sock" >"$logfile" 2>&1 </dev/null &
    echo $! >"$pidfile"
    waited=0
    while ! ping; do
        if ! running_pid >/dev/null; then
            echo "podman service exited; see $logfile:" >&2
            tail -n 20 "$logfile" >&2
            exit 1
        fi
        if [ "$waited" -ge $((timeout_s * 10)) ]; then
            echo "podman service did not answer /_ping within ${timeout_s}s" >&2
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    echo "$sock"
    ;;
stop)
    if pid="$(running_pid)"; then
        kill "$pid"
        i=0
        while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidfile" "$sock"
    ;;
status)
    ping
    ;;
*)
    echo "usage: $0 start|stop|status [SOCKET]" >&2
    exit 2
    ;;
esac
