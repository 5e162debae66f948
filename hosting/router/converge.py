"""Converge HAProxy on the database: render, compare, apply the smallest change.

- the config file always holds the full current state (a restart needs nothing else);
- if the running worker loaded a different structure (digest), reload: hitless;
- otherwise only server addresses, weights and enabled flags differ: runtime commands,
  no reload, no new process.
Idempotent (a second call finds nothing to do) and serialised by a file lock, because
workers, the activator and the runtime's readiness changes all call it.
"""
import fcntl
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from hosting.router import haproxy
from hosting.router.haproxy import Paths
from hosting.router.model import Config
from hosting.router.render import render
from hosting.router.snapshot import snapshot

log = logging.getLogger(__name__)


def paths() -> Paths:
    return Paths(Path(settings.ROUTER_DIR))


@contextmanager
def locked(p: Paths):
    p.directory.mkdir(parents=True, exist_ok=True)
    with open(p.lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, text: str) -> bool:
    """Replace the file only if its content changes; returns whether it did."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


def write_files(p: Paths, config: Config) -> None:
    write_atomic(p.map_file, config.map_text)
    write_atomic(p.config, config.text)


def apply(p: Paths, config: Config) -> str:
    """Apply a rendered config; returns what was done: "down", "reload", "runtime", "none"."""
    running = haproxy.running_digest(p)
    if running is None:
        write_files(p, config)
        return "down"
    if running != config.digest:
        write_files(p, config)
        haproxy.check_config(p, settings.HAPROXY_BIN)
        haproxy.reload(p, config.digest)
        return "reload"
    current = haproxy.server_states(p)
    commands = [c for (backend, _), want in config.servers().items()
                for c in haproxy.server_commands(backend, want, current.get((backend, want.name)))]
    write_files(p, config)
    if not commands:
        return "none"
    haproxy.run_commands(p, commands)
    return "runtime"


def sync() -> str:
    """Render the router's config from the database and apply it (hitless)."""
    p = paths()
    with locked(p):
        config = render(snapshot())
        outcome = apply(p, config)
    log.debug("router sync: %s (%s)", outcome, config.digest)
    return outcome


def write_initial() -> Paths:
    """Write the config before HAProxy starts (python -m hosting.router)."""
    p = paths()
    with locked(p):
        write_files(p, render(snapshot()))
    return p
