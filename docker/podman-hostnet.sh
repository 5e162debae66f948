#!/bin/sh
# podman for Debian's podman-compose 1.0.3, which adds its project network
# (`--net <project>_default --network-alias <service>`) even to a `network_mode: host`
# service, and podman refuses both ("cannot set multiple networks without bridge network
# mode"). For a run/create with `--network host` those two options are dropped; every
# other call goes to podman untouched. docker/compose.sh passes this as --podman-path.
if [ "${1:-}" = run ] || [ "${1:-}" = create ]; then
    case " $* " in
    *" --network host "*)
        n=$#
        skip=""
        while [ "$n" -gt 0 ]; do
            arg="$1"
            shift
            n=$((n - 1))
            if [ -n "$skip" ]; then skip=""; continue; fi
            case "$arg" in
            --net|--network-alias) skip=1; continue ;;
            esac
            set -- "$@" "$arg"
        done
        ;;
    esac
fi
exec podman "$@"
