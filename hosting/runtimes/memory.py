"""An in-memory runtime for unit tests: instances are dicts, behaviour comes from the image.

Tests register what an image does (`MemoryRuntime.add_image(ref, Behaviour(...))`) and
can kill instances "from outside" (`kill`), so the orchestration phases run end to end
without an engine. A behaviour may start slowly (`pending_looks`), as a Kubernetes pod
does, so the orchestration's "not started yet" path runs without a cluster.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from hosting.runtimes.base import (
    FileChunk,
    ImagePullFailed,
    InstanceSpec,
    LogLine,
    LogLines,
    NameConflict,
    Observed,
    ProbeResult,
    Runtime,
    RuntimeFailure,
    Usage,
)


@dataclass
class Behaviour:
    exit_code: int | None = None  # exits at once with this code
    oom: bool = False  # killed for memory at once
    listen_port: int | None = None  # None: the spec's port
    http_status: int = 200
    logs: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    cpu_cores: float = 0.0
    memory_bytes: int = 1 << 20
    # A slow start (a pod being scheduled, pulling its image): this many ensure calls
    # answer "not started yet" before the one that finds it started; then it fails with
    # `start_failure` if set (a pull error), and is removed, like a pod that cannot start.
    pending_looks: int = 0
    start_failure: str = ""


@dataclass
class _Instance:
    spec: InstanceSpec
    observed: Observed
    behaviour: Behaviour
    pending_looks: int = 0


class MemoryRuntime(Runtime):
    def __init__(self):
        self.registry: dict[str, Behaviour] = {}  # what a pull can find
        self.local: set[str] = set()  # images present
        self.instances: dict[str, _Instance] = {}
        self.pulls: list[tuple[str, dict | None]] = []
        self.denied: set[str] = set()
        self._ids = itertools.count(1)
        self._ports = itertools.count(40000)

    def add_image(self, ref: str, behaviour: Behaviour | None = None) -> None:
        self.registry[ref] = behaviour or Behaviour()

    def kill(self, name: str, exit_code: int = 137) -> None:
        inst = self.instances[name]
        inst.observed = replace(inst.observed, state="exited", exit_code=exit_code)

    def has_image(self, image_ref: str) -> bool:
        return image_ref in self.local

    def pull(self, image_ref: str, auth: dict | None = None) -> None:
        self.pulls.append((image_ref, auth))
        if image_ref in self.denied:
            raise ImagePullFailed(f"The registry denied access to {image_ref}.", "denied")
        if image_ref not in self.registry:
            raise ImagePullFailed(f"The image {image_ref} was not found in the registry.", "not_found")
        self.local.add(image_ref)

    def ensure(self, spec: InstanceSpec) -> Observed:
        existing = self.instances.get(spec.name)
        if existing and existing.spec.labels == spec.labels:
            return self._look(existing) if existing.observed.starting else existing.observed
        if existing:  # the local engine's rule: never adopt nor replace another's
            raise NameConflict(f"A container named {spec.name} already exists; left untouched.")
        if spec.image not in self.local:
            raise ImagePullFailed(f"The image {spec.image} is not present.", "not_found")
        behaviour = self.registry[spec.image]
        observed = Observed(name=spec.name, id=f"mem{next(self._ids)}", state="created",
                            labels=dict(spec.labels), host_port=next(self._ports),
                            created_at=datetime.now(UTC))
        inst = _Instance(spec, observed, behaviour, behaviour.pending_looks)
        self.instances[spec.name] = inst
        return self._look(inst, first=True)

    def _look(self, inst: _Instance, first: bool = False) -> Observed:
        """A start under way: still starting, or now running (or exited, or failed)."""
        if not first and inst.pending_looks:
            inst.pending_looks -= 1
        if inst.pending_looks:
            return inst.observed
        behaviour = inst.behaviour
        if behaviour.start_failure:
            self.instances.pop(inst.spec.name, None)
            raise RuntimeFailure(behaviour.start_failure)
        state, code = "running", None
        if behaviour.exit_code is not None or behaviour.oom:
            state, code = "exited", 137 if behaviour.oom else behaviour.exit_code
        inst.observed = replace(inst.observed, state=state, exit_code=code, oom_killed=behaviour.oom,
                                started_at=datetime.now(UTC))
        return inst.observed

    def observe(self, labels: dict[str, str]) -> list[Observed]:
        return [i.observed for i in self.instances.values()
                if all(i.observed.labels.get(k) == v for k, v in labels.items())]

    def get(self, name: str) -> Observed | None:
        inst = self.instances.get(name)
        return inst.observed if inst else None

    def remove(self, name: str) -> None:
        self.instances.pop(name, None)

    def logs(self, name: str, since: datetime | None = None, tail: int | None = None,
             max_bytes: int | None = None) -> list[LogLine]:
        inst = self.instances.get(name)
        if not inst:
            return []
        stamp = inst.observed.started_at or datetime.now(UTC)
        lines = [LogLine(stamp, "stdout", text) for text in inst.behaviour.logs]
        if since is not None:
            lines = [line for line in lines if line.timestamp >= since]
        result = LogLines(lines[-tail:] if tail else lines)
        while max_bytes is not None and sum(len(line.text) + 1 for line in result) > max_bytes:
            result.pop()
            result.truncated = True
        return result

    def read_files(self, name: str, path: str, offsets: dict[str, int] | None = None,
                   max_bytes: int | None = None) -> dict[str, FileChunk]:
        inst = self.instances.get(name)
        if not inst:
            return {}
        prefix = path.rstrip("/") + "/"
        result = {}
        for file_path, data in inst.behaviour.files.items():
            if file_path == path or file_path.startswith(prefix):
                offset = (offsets or {}).get(file_path, 0)
                offset = 0 if len(data) < offset else offset
                start = max(offset, len(data) - max_bytes) if max_bytes else offset
                result[file_path] = FileChunk(data[start:], start, len(data))
        return result

    def stats(self, name: str) -> Usage | None:
        inst = self.instances.get(name)
        if not inst or not inst.observed.running:
            return None
        return Usage(inst.behaviour.cpu_cores, inst.behaviour.memory_bytes)

    def probe(self, observed: Observed, port: int, timeout: float) -> ProbeResult:
        inst = self.instances.get(observed.name)
        if not inst or not inst.observed.running:
            return ProbeResult(False, "refused")
        listen = inst.behaviour.listen_port or inst.spec.port
        if listen != port:
            return ProbeResult(False, "refused")
        status = inst.behaviour.http_status
        return ProbeResult(status < 500, "answered" if status < 500 else "http_5xx", status)

    def listening_ports(self, name: str) -> list[int] | None:
        inst = self.instances.get(name)
        if not inst or not inst.observed.running:
            return None
        return [inst.behaviour.listen_port or inst.spec.port]
