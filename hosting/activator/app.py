"""The activator: HAProxy sends it requests for versions with no ready instance.

For each such request it finds the version (the `X-Hosting-Server: v<id>_act` header
HAProxy adds, else the Host), asks for a scale-up once per version however many
requests are waiting, holds the requests until an instance is ready, then proxies them
straight to that instance. A hold longer than the limit answers 503 with Retry-After.
"""
import asyncio
import logging
import time

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

from hosting.activator import versions
from hosting.activator.proxy import proxy
from hosting.router.render import NAME_HEADER, START_HEADER

log = logging.getLogger(__name__)
POLL_SECONDS = 0.02
RETRY_AFTER_SECONDS = 5


class Waker:
    """One wake-up per version at a time; every waiting request shares its result."""

    def __init__(self, hold_seconds: float, converge: bool = True):
        self.hold_seconds = hold_seconds
        self.converge = converge
        self.pending: dict[int, asyncio.Task] = {}
        self.wakes = 0  # scale-ups this process asked for (tests and logs)
        # For the start's phases (hosting/orchestration/phases.py): when the request that
        # woke a version arrived, and when its wake call returned.
        self.arrived: dict[int, float] = {}
        self.woke: dict[int, float] = {}

    async def address(self, version_id: int, arrived: float | None = None) -> tuple[str, int] | None:
        """A ready instance's address, or None when the hold limit passed first."""
        found = await asyncio.to_thread(versions.ready_address, version_id)
        if found:
            return found
        task = self.pending.get(version_id)
        if task is None:
            self.arrived[version_id] = arrived or time.time()
            task = asyncio.create_task(self._wake_and_wait(version_id))
            self.pending[version_id] = task
            task.add_done_callback(lambda _: self.pending.pop(version_id, None))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.hold_seconds)
        except TimeoutError:
            return None

    async def _wake_and_wait(self, version_id: int) -> tuple[str, int] | None:
        started = time.monotonic()
        woke = await asyncio.to_thread(versions.wake, version_id)
        self.woke[version_id] = time.time()
        if woke:
            self.wakes += 1
            log.info("activator: woke version %s", version_id)
        if self.converge:  # also when not woken here: the wake may be waiting for a worker
            asyncio.get_running_loop().run_in_executor(None, versions.converge, version_id)
        deadline = started + self.hold_seconds
        while time.monotonic() < deadline:
            found = await asyncio.to_thread(versions.ready_address, version_id)
            if found:
                asyncio.get_running_loop().run_in_executor(None, versions.sync_router)
                return found
            await asyncio.sleep(POLL_SECONDS)
        return None


WAKER: web.AppKey["Waker"] = web.AppKey("waker")
CLIENT = web.AppKey("client", ClientSession)


def unavailable(reason: str) -> web.Response:
    return web.Response(status=503, text=f"{reason}\n",
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def find_version(request: web.Request) -> int | None:
    version_id = versions.version_from_server_name(request.headers.get(NAME_HEADER, ""))
    if version_id is None:
        version_id = await asyncio.to_thread(versions.version_from_host, request.host or "")
    return version_id


def arrival(header: str, now: float, plausible_seconds: float = 60.0) -> float:
    """When the router received the request (its `t=<ms>` header), else now; a value in
    the future or long past is a clock problem or a forgery, and ignored."""
    try:
        stamp = int(header.removeprefix("t=")) / 1000
    except ValueError:
        return now
    return stamp if now - plausible_seconds <= stamp <= now else now


async def handle(request: web.Request) -> web.StreamResponse:
    version_id = await find_version(request)
    if version_id is None:
        return web.Response(status=404, text="No app answers at this address.\n")
    waker: Waker = request.app[WAKER]
    arrived = arrival(request.headers.get(START_HEADER, ""), time.time())
    try:
        address = await waker.address(version_id, arrived)
    except versions.Unavailable as exc:  # deleted, failed, suspended for arrears
        return unavailable(str(exc))
    if address is None:
        return unavailable("The app is starting; try again shortly.")
    woke = waker.woke.get(version_id)
    sent: dict[str, tuple[float, int]] = {}
    try:
        return await proxy(request, request.app[CLIENT], address,
                           on_first_byte=lambda status: sent.setdefault("first", (time.time(), status)))
    except (TimeoutError, ClientError) as exc:
        log.warning("activator: proxy to %s failed: %s", address, exc)
        return web.Response(status=502, text="The app did not answer.\n")
    finally:
        if woke is not None and woke >= arrived and "first" in sent:
            _report_cold_start(waker, version_id, woke, *sent["first"])


def _report_cold_start(waker: Waker, version_id: int, woke: float, first_byte: float,
                       status: int) -> None:
    """This request waited for a wake: the wake's timings and its first byte complete
    the start's phases. The first such request to answer reports, from the arrival of
    the request that woke the version; after its response and in a thread, so no
    reader ever waits for the record."""
    if waker.woke.pop(version_id, None) is None:
        return
    arrived = waker.arrived.pop(version_id, woke)
    asyncio.get_running_loop().run_in_executor(
        None, versions.report_cold_start, version_id, arrived, woke, first_byte, status)


async def _client(app: web.Application):
    app[CLIENT] = ClientSession(connector=TCPConnector(limit=0, force_close=False),
                                  timeout=ClientTimeout(total=None, sock_connect=5),
                                  auto_decompress=False)
    yield
    await app[CLIENT].close()


def make_app(hold_seconds: float, converge: bool = True) -> web.Application:
    app = web.Application()
    app[WAKER] = Waker(hold_seconds, converge)
    app.cleanup_ctx.append(_client)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app
