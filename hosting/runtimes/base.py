"""The small interface every runtime backend implements, and the values it trades in.

The local engine (Docker Engine API: Podman or Docker) and a later Kubernetes backend
both implement `Runtime`; the orchestration layer only ever talks to this interface, so
it can be tested against the in-memory backend. Everything here is about one *instance*
(a container or a pod), named deterministically and found again by its labels.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class InstanceSpec:
    """Everything needed to run one instance; built by pure functions in specs.py."""

    name: str  # the engine's name for it (container name), deterministic
    instance_name: str  # Instance.name in the database
    image: str  # pinned reference: registry/repo@sha256:...
    labels: dict[str, str]
    env: dict[str, str]
    port: int  # the port the app listens on inside the instance
    nano_cpus: int
    mem_limit: int  # bytes; swap is forbidden (memswap = mem)
    # Isolation (hosting.domain.hardening builds these; every backend applies them).
    tenant_id: int | None = None
    network: str | None = None  # the tenant's own network; None: the engine's default
    cap_add: tuple[str, ...] = ()  # on top of dropping every capability
    pids_limit: int = 256
    userns: str = ""  # "auto": uid 0 inside maps to an unprivileged host uid; "": engine default
    read_only: bool = False  # root filesystem read-only: only `tmpfs` paths are writable
    tmpfs: tuple[str, ...] = ()  # writable paths, each a tmpfs of tmpfs_mib
    tmpfs_mib: int = 64
    log_max_mib: int = 0  # the engine's stdout/stderr file on the host; 0: engine default


@dataclass
class Observed:
    """What the engine reports about one instance right now."""

    name: str
    id: str
    state: str  # created, running, exited, paused, ...
    labels: dict[str, str] = field(default_factory=dict)
    host_port: int | None = None
    # Where host_port is reached from the platform's host: the container's address on
    # its bridge network, the pod IP on Kubernetes (the node routes both); "": none yet.
    host_ip: str = "127.0.0.1"
    exit_code: int | None = None
    oom_killed: bool = False
    error: str = ""
    evicted: str = ""  # the node's words when it evicted the instance (Kubernetes), else ""
    started_at: datetime | None = None
    created_at: datetime | None = None  # when the engine made it (before it started)
    finished_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def starting(self) -> bool:
        """Asked for but not running yet, and not failed either (a pod waiting for a node
        or its image): whoever asked looks again later instead of waiting for it."""
        return self.state in {"created", "configured"}

    @property
    def dead(self) -> bool:
        """Stopped for good: it will not come back by itself (no restart policy)."""
        return self.state in {"exited", "dead", "stopped"}


@dataclass(frozen=True)
class Usage:
    """CPU in cores actually used over the last interval, and resident memory."""

    cpu_cores: float
    memory_bytes: int


@dataclass(frozen=True)
class LogLine:
    timestamp: datetime
    stream: str  # stdout or stderr
    text: str


class LogLines(list):
    """Log lines; `truncated` when the engine had more than the caller's max_bytes."""

    truncated: bool = False


@dataclass(frozen=True)
class FileChunk:
    """Bytes [start, start + len(data)) of a file inside an instance that is `size` long;
    `start` beyond the caller's offset means the bytes in between were skipped."""

    data: bytes
    start: int
    size: int


@dataclass(frozen=True)
class ProbeResult:
    """One HTTP health check: `ok` for any non-5xx answer."""

    ok: bool
    reason: str  # "answered", "refused", "timeout", "http_5xx", "no_port", "error"
    status: int | None = None
    detail: str = ""


class RuntimeFailure(Exception):
    """A runtime operation failed; str() is a sentence a user understands."""


class ImagePullFailed(RuntimeFailure):
    """The engine could not pull the image (reason: not_found, denied, unavailable, other)."""

    def __init__(self, message: str, reason: str = "other"):
        super().__init__(message)
        self.reason = reason


class EngineUnavailable(RuntimeFailure):
    """The engine's API does not answer."""


class NameConflict(RuntimeFailure):
    """An engine object has the name the platform wants but is not the platform's for this
    version (another version's, or made by someone else): it is neither adopted nor removed."""


class Runtime(abc.ABC):
    """What orchestration needs from an engine. Every call is idempotent."""

    # The engine pulls by itself when an instance starts (Kubernetes nodes), so the
    # deploy's pull phase has nothing to do and pull failures come from ensure().
    pulls_on_start = False

    @abc.abstractmethod
    def has_image(self, image_ref: str) -> bool:
        """The image is already present, so the pull can be skipped."""

    @abc.abstractmethod
    def pull(self, image_ref: str, auth: dict | None = None) -> None:
        """Pull the image; raises ImagePullFailed with the engine's reason."""

    @abc.abstractmethod
    def ensure(self, spec: InstanceSpec) -> Observed:
        """Create and start the instance unless one of that name exists; return it as is.
        Never waits for the start: an engine that starts asynchronously (Kubernetes)
        returns it `starting` (id "" while it has none yet) and the caller calls again
        later; the call that finds the start failed (or timed out) raises RuntimeFailure."""

    @abc.abstractmethod
    def observe(self, labels: dict[str, str]) -> list[Observed]:
        """Every instance (running or not) carrying all these labels."""

    @abc.abstractmethod
    def get(self, name: str) -> Observed | None:
        """One instance by name, freshly inspected; None when it does not exist."""

    @abc.abstractmethod
    def remove(self, name: str) -> None:
        """Stop (short grace period) and remove; nothing happens if it is gone."""

    @abc.abstractmethod
    def logs(self, name: str, since: datetime | None = None, tail: int | None = None,
             max_bytes: int | None = None) -> list[LogLine]:
        """stdout and stderr lines, oldest first, with the engine's timestamps; at most
        about `max_bytes` of each stream are read (a LogLines with truncated=True then)."""

    @abc.abstractmethod
    def read_files(self, name: str, path: str, offsets: dict[str, int] | None = None,
                   max_bytes: int | None = None) -> dict[str, FileChunk]:
        """The files at `path` inside the instance (a file or a directory's files), each
        from its offset (0 if the file is now shorter) and never more than its last
        `max_bytes`: memory stays bounded whatever the files' sizes."""

    @abc.abstractmethod
    def stats(self, name: str) -> Usage | None:
        """CPU cores in use and memory, or None when it is not running."""

    @abc.abstractmethod
    def probe(self, observed: Observed, port: int, timeout: float) -> ProbeResult:
        """One HTTP GET / to the instance's service port."""

    def address(self, name: str, engine_id: str = "") -> str:
        """What to pass as `name` to get, remove, logs, read_files, stats and
        listening_ports for the instance the engine made as `engine_id`: its name by
        default; an engine that can address by id takes the id, so another container
        given the same name is never read, counted nor removed."""
        return name

    def image_size(self, image_ref: str) -> int | None:
        """The image's size in bytes if the engine tells it (the pull phase shows it)."""
        return None

    def listening_ports(self, name: str) -> list[int] | None:
        """TCP ports something listens on inside the instance, if it can be told cheaply."""
        return None

    def remove_tenant(self, tenant_id: int) -> None:
        """The tenant is gone: remove what the engine keeps for it (network, firewall)."""
        return None

    def release(self, version_id: int) -> None:
        """Drop what the engine keeps per version once its instances are gone (the
        Kubernetes backend's Deployment and env Secret); containers keep nothing."""
        return None
