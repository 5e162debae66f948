"""Run HAProxy for the platform: `python -m hosting.router` (what `make run` starts).

Writes the config rendered from the database, then replaces this process with HAProxy's
master (foreground, master-worker), so the supervisor's signals reach HAProxy directly. Later
changes arrive through `hosting.router.sync()` (reloads via the master CLI, weights via
the runtime API).
"""
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hosting.settings")
    import django

    django.setup()
    from django.conf import settings

    from hosting.router.converge import write_initial
    from hosting.router.haproxy import command_line

    paths = write_initial()
    for stale in (paths.master_socket, paths.stats_socket):
        stale.unlink(missing_ok=True)
    argv = command_line(paths, settings.HAPROXY_BIN)
    print(f"router: {' '.join(argv)} (listening on {settings.ROUTER_PORT})", flush=True)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    sys.exit(main())
