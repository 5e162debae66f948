#!/bin/sh
# Start the servers `make test` needs when nothing answers: PostgreSQL on
# 127.0.0.1:5432 (user postgres, trust on loopback only) and Redis on
# 127.0.0.1:6379. Machines no longer come with them running; the packages are
# installed by scripts/install_system.sh. Idempotent: when both answer it does
# nothing and prints nothing. Must run as root (it starts Debian's cluster).
set -eu

answers() { # host port
    python3 -c "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)" "$1" "$2" 2>/dev/null
}

wait_for() { # name host port
    i=0
    until answers "$2" "$3"; do
        i=$((i + 1))
        if [ "$i" -gt 100 ]; then
            echo "services.sh: $1 did not answer on $2:$3 within 20 s" >&2
            exit 1
        fi
        sleep 0.2
    done
}

start_postgres() {
    version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
    if [ -z "$(pg_lsclusters -h 2>/dev/null | awk '$2 == "main"')" ]; then
        pg_createcluster "$version" main >/dev/null
    fi
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    # The test database is disposable and reachable from loopback only.
    if ! grep -q "^host all postgres 127.0.0.1/32 trust" "$hba"; then
        sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    fi
    echo "postgresql: starting cluster $version/main on 127.0.0.1:5432"
    pg_ctlcluster "$version" main start 2>/dev/null || pg_ctlcluster "$version" main reload
    wait_for postgresql 127.0.0.1 5432
}

start_redis() {
    echo "redis: redis-server on 127.0.0.1:6379"
    redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null
    wait_for redis 127.0.0.1 6379
}

answers 127.0.0.1 5432 || start_postgres
answers 127.0.0.1 6379 || start_redis
