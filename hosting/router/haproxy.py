"""Talk to a running HAProxy: the worker's stats socket (runtime API) and the master CLI.

HAProxy runs in master-worker mode (`-W -S <master socket>`): `reload` on the master CLI
starts a new worker on the new config, hands it the listening sockets (the stats socket
has `expose-fd listeners`) and lets the old worker finish its requests: no connection is
refused and no request is lost.
"""
import csv
import io
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hosting.router.model import Server

MAINT_FLAGS = 0x01 | 0x02 | 0x20  # forced, inherited and resolution maintenance


class HAProxyDown(Exception):
    """No HAProxy answers on the socket (not started yet, or stopping)."""


@dataclass(frozen=True)
class Paths:
    directory: Path

    @property
    def config(self) -> Path:
        return self.directory / "haproxy.cfg"

    @property
    def map_file(self) -> Path:
        return self.directory / "hosts.map"

    @property
    def stats_socket(self) -> Path:
        return self.directory / "stats.sock"

    @property
    def master_socket(self) -> Path:
        return self.directory / "master.sock"

    @property
    def pid_file(self) -> Path:
        return self.directory / "haproxy.pid"

    @property
    def lock_file(self) -> Path:
        return self.directory / "sync.lock"


def command_line(paths: Paths, binary: str = "haproxy") -> list[str]:
    """Foreground master-worker HAProxy (what `make run` and the test fixture run)."""
    return [binary, "-W", "-S", f"{paths.master_socket},mode,600", "-f", str(paths.config),
            "-p", str(paths.pid_file)]


def ask(path: Path, command: str, timeout: float = 5.0) -> str:
    """One command on a CLI socket; the answer ends when HAProxy closes the connection."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
        sock.sendall(command.encode() + b"\n")
        sock.shutdown(socket.SHUT_WR)  # the master CLI waits for more otherwise
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError) as exc:
        raise HAProxyDown(str(exc)) from exc
    finally:
        sock.close()
    return b"".join(chunks).decode()


def info(paths: Paths) -> dict[str, str]:
    lines = ask(paths.stats_socket, "show info").splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def running_digest(paths: Paths) -> str | None:
    """The digest of the config the current worker loaded, None if HAProxy is down."""
    try:
        description = info(paths).get("description", "")
    except (HAProxyDown, OSError):
        return None
    return description.removeprefix("cfg-")


def check_config(paths: Paths, binary: str = "haproxy") -> None:
    result = subprocess.run([binary, "-c", "-q", "-f", str(paths.config)],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise ValueError(f"HAProxy rejects the config: {result.stderr or result.stdout}")


def reload(paths: Paths, digest: str, timeout: float = 10.0) -> None:
    """Hitless reload through the master CLI; returns once the new worker serves `digest`."""
    ask(paths.master_socket, "reload")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running_digest(paths) == digest:
            return
        time.sleep(0.02)
    raise TimeoutError(f"HAProxy did not load config {digest} within {timeout}s")


def server_states(paths: Paths) -> dict[tuple[str, str], Server]:
    """Runtime state of every server, from `show servers state` (one line per server)."""
    result = {}
    for line in ask(paths.stats_socket, "show servers state").splitlines():
        if not line or line.startswith("#") or line.strip() == "1":
            continue
        f = line.split(" ")
        backend, name, address, admin, weight, port = f[1], f[3], f[4], int(f[6]), int(f[7]), f[18]
        result[(backend, name)] = Server(name, address, int(port), weight,
                                         enabled=not admin & MAINT_FLAGS)
    return result


def server_commands(backend: str, want: Server, have: Server | None) -> list[str]:
    """Runtime commands that turn `have` into `want` (disable first, enable last)."""
    target = f"{backend}/{want.name}"
    commands = []
    if have is None or have.enabled and not want.enabled:
        commands.append(f"set server {target} state maint")
    if have is None or (have.address, have.port) != (want.address, want.port):
        commands.append(f"set server {target} addr {want.address} port {want.port}")
    if have is None or have.weight != want.weight:
        commands.append(f"set server {target} weight {want.weight}")
    if want.enabled and (have is None or not have.enabled):
        commands.append(f"set server {target} state ready")
    return commands


def run_commands(paths: Paths, commands: list[str]) -> None:
    """Send commands in batches (`;`-separated, one connection per batch)."""
    for start in range(0, len(commands), 50):
        answer = ask(paths.stats_socket, ";".join(commands[start:start + 50]))
        if "Unknown" in answer or "No such" in answer or "Require" in answer:
            raise RuntimeError(f"HAProxy refused a runtime command: {answer.strip()}")


def stats(paths: Paths) -> list[dict[str, str]]:
    text = ask(paths.stats_socket, "show stat").lstrip("# ")
    return list(csv.DictReader(io.StringIO(text)))
