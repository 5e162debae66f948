"""What the router needs to know, as plain frozen data: the database's view and HAProxy's.

`RouterState` is read from the database (hosting/router/snapshot.py); `Config` is what
render.py makes of it. Both are plain values so rendering is a pure, easily tested
function and a sync is a diff of two values.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class VersionRoute:
    id: int
    name: str
    preview_host: str
    share: int  # the service's traffic percent for this version
    desired: int  # Version.desired_instances: slots are pre-allocated for it
    instances: tuple[tuple[str, int], ...] = ()  # ready instances, (address, port)


@dataclass(frozen=True)
class ServiceRoute:
    id: int
    host: str
    versions: tuple[VersionRoute, ...] = ()


@dataclass(frozen=True)
class Endpoints:
    """Where things listen; settings in production, free ports in tests."""

    listen_host: str
    listen_port: int
    activator_host: str
    activator_port: int
    stats_socket: str
    map_file: str
    hold_seconds: float = 30.0
    timings: bool = True  # log every request's time to the `timings` ring (rollouts' p95)


@dataclass(frozen=True)
class RouterState:
    endpoints: Endpoints
    services: tuple[ServiceRoute, ...] = ()


@dataclass(frozen=True)
class Server:
    """One HAProxy server line; address, port, weight and enabled change at runtime."""

    name: str
    address: str
    port: int
    weight: int
    enabled: bool
    backup: bool = False


@dataclass(frozen=True)
class Backend:
    name: str
    servers: tuple[Server, ...]


@dataclass(frozen=True)
class Config:
    text: str  # the full haproxy.cfg, current runtime values included
    map_text: str  # host -> backend
    digest: str  # hash of everything a runtime command cannot change
    backends: tuple[Backend, ...] = field(default=())

    def servers(self) -> dict[tuple[str, str], Server]:
        return {(b.name, s.name): s for b in self.backends for s in b.servers}
