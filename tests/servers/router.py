"""Real HAProxy (master-worker) and the activator on free loopback ports, plus upstreams.

- `router`: HAProxy in a temp dir, settings pointed at it (ROUTER_DIR, ROUTER_PORT,
  ACTIVATOR_PORT), stopped afterwards. Needs committed data, so it uses transactional_db.
- `activator`: the aiohttp activator in a background thread (its own event loop and a
  thread pool whose database connections are closed at the end); `start_activator(
  hold_seconds=...)` for a custom hold limit.
- `upstream`: a factory of plain threaded HTTP servers on loopback that answer a fixed
  body (for routing tests that need no containers).
"""
import asyncio
import http.client
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class RouterHandle:
    port: int
    directory: Path
    process: subprocess.Popen

    def request(self, host: str, path: str = "/", method: str = "GET", body: bytes | None = None,
                headers: dict | None = None, timeout: float = 30.0) -> tuple[int, bytes, dict]:
        """One request on a fresh connection, the Host header naming the app (header names
        come back lower-cased, as HAProxy sends them)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
            response = conn.getresponse()
            return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()


@pytest.fixture
def router(settings, transactional_db):
    from hosting.router.converge import write_initial
    from hosting.router.haproxy import command_line

    directory = Path(tempfile.mkdtemp(prefix="hr-", dir="/tmp"))  # short: unix socket paths
    settings.ROUTER_DIR = directory
    settings.ROUTER_PORT = free_port()
    settings.ACTIVATOR_PORT = free_port()
    paths = write_initial()
    process = subprocess.Popen(command_line(paths, settings.HAPROXY_BIN), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        wait_for_port(settings.ROUTER_PORT)
        yield RouterHandle(settings.ROUTER_PORT, directory, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)


class ActivatorThread:
    """The activator's aiohttp app served from a thread, as `python -m hosting.activator` would."""

    def __init__(self, port: int, hold_seconds: float, converge: bool = True):
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="activator-db")
        self.loop.set_default_executor(self.executor)
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(hold_seconds, converge), daemon=True)
        self.app = None

    def _run(self, hold_seconds: float, converge: bool) -> None:
        from aiohttp import web

        from hosting.activator.app import make_app

        asyncio.set_event_loop(self.loop)
        self.app = make_app(hold_seconds, converge)
        self.runner = web.AppRunner(self.app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.started.set()
        self.loop.run_forever()

    @property
    def wakes(self) -> int:
        from hosting.activator.app import WAKER

        return self.app[WAKER].wakes

    def start(self) -> "ActivatorThread":
        self.thread.start()
        self.started.wait(10)
        wait_for_port(self.port)
        return self

    async def _shutdown(self) -> None:
        await self.runner.cleanup()
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        for task in pending:  # e.g. a wake-up still polling after its requests timed out
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self._close_db_connections()

    def _close_db_connections(self) -> None:
        """One close per pool thread (a barrier makes each thread take exactly one)."""
        from django.db import connections

        count = len(self.executor._threads)
        if count:
            barrier = threading.Barrier(count)

            def close() -> None:
                barrier.wait(10)
                connections.close_all()

            for future in [self.executor.submit(close) for _ in range(count)]:
                future.result(15)
        self.executor.shutdown(wait=True)


@pytest.fixture
def start_activator(router, settings):
    started: list[ActivatorThread] = []

    def start(hold_seconds: float = 20.0, converge: bool = True) -> ActivatorThread:
        settings.ACTIVATOR_HOLD_SECONDS = hold_seconds
        activator = ActivatorThread(settings.ACTIVATOR_PORT, hold_seconds, converge).start()
        started.append(activator)
        return activator

    yield start
    for activator in started:
        activator.stop()


@pytest.fixture
def activator(start_activator):
    return start_activator()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real app server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.server.body
        if self.path.startswith("/echo"):  # what arrived: method, path, a header, the body
            length = int(self.headers.get("Content-Length") or 0)
            received = self.rfile.read(length) if length else b""
            body = (f"{self.command} {self.path} {self.headers.get('X-Test', '')} ".encode()
                    + received)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_GET  # noqa: N815

    def log_message(self, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # HAProxy closing an idle keep-alive connection is not an error


@pytest.fixture
def upstream():
    """upstream(b"body") -> port of a loopback HTTP server answering that body."""
    servers: list[ThreadingHTTPServer] = []

    def start(body: bytes) -> int:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.body = body
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
