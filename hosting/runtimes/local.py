"""The local engine: the Docker Engine API through the `docker` SDK (Podman or Docker).

Podman's compatible socket differs from Docker in a few ways (docs/podman-notes.md):
failed pulls must be read from the JSON stream, `stats` has no previous sample and its
system CPU counter cannot be used, log timestamps have second precision. Each is handled
here so the orchestration layer never sees the difference.
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import tarfile
import threading
import time
from datetime import datetime

import docker
from django.conf import settings
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from hosting.orchestration import health
from hosting.runtimes.base import (
    EngineUnavailable,
    ImagePullFailed,
    InstanceSpec,
    LogLine,
    Observed,
    ProbeResult,
    Runtime,
    RuntimeFailure,
    Usage,
)

log = logging.getLogger(__name__)
_FRACTION = re.compile(r"(\.\d{6})\d+")
MAX_LOG_FILE_BYTES = 16 * 1024 * 1024
CONFLICT_LOOKS, CONFLICT_LOOK_SECONDS = 50, 0.1  # up to 5 s for a concurrent create


def parse_time(value: str | None) -> datetime | None:
    """Engine timestamps (RFC 3339 with up to nanoseconds); the zero time is None."""
    if not value or value.startswith("0001-01-01"):
        return None
    try:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", value).replace("Z", "+00:00"))
    except ValueError:
        return None


def classify_pull_error(text: str) -> str:
    lowered = text.lower()
    if "manifest unknown" in lowered or "not found" in lowered or "name unknown" in lowered:
        return "not_found"
    if "denied" in lowered or "unauthorized" in lowered or "invalid username" in lowered:
        return "denied"
    if "connection refused" in lowered or "no such host" in lowered or "timeout" in lowered:
        return "unavailable"
    return "other"


def pull_message(reason: str, image_ref: str, text: str) -> str:
    head = {
        "not_found": f"The image {image_ref} was not found in the registry.",
        "denied": f"The registry denied access to {image_ref}.",
        "unavailable": f"The registry could not be reached to pull {image_ref}.",
    }.get(reason, f"The image {image_ref} could not be pulled.")
    return f"{head} The engine said: {text.strip()}"


def files_from_tar(data: bytes, path_of) -> dict[str, bytes]:
    """Regular files of a tar stream up to MAX_LOG_FILE_BYTES each, keyed by
    path_of(member name); a broken stream gives what was read before it broke."""
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                if not member.isfile() or member.size > MAX_LOG_FILE_BYTES:
                    continue
                extracted = tar.extractfile(member)
                if extracted is not None:
                    files[path_of(member.name)] = extracted.read()
    except tarfile.TarError:
        pass
    return files


def listening_ports_from_proc(text: str) -> list[int]:
    """Ports in LISTEN state (0A) from /proc/net/tcp{,6} text."""
    ports = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[3] == "0A" and ":" in parts[1]:
            try:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
            except ValueError:
                continue
    return sorted(ports)


class LocalRuntime(Runtime):
    def __init__(self, base_url: str | None = None):
        self.base_url = base_url or settings.DOCKER_HOST
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()
        self._cpu_samples: dict[str, tuple[int, float]] = {}

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            try:
                self._client = docker.DockerClient(base_url=self.base_url, timeout=60)
            except DockerException as exc:
                raise EngineUnavailable(f"The container engine at {self.base_url} does not "
                                        f"answer: {exc}") from exc
        return self._client

    # Images -----------------------------------------------------------------------
    def has_image(self, image_ref: str) -> bool:
        try:
            self.client.images.get(image_ref)
            return True
        except (ImageNotFound, NotFound):
            return False
        except APIError:
            return False

    def pull(self, image_ref: str, auth: dict | None = None) -> None:
        repo, tag = _split_ref(image_ref)
        try:
            stream = self.client.api.pull(repo, tag=tag, auth_config=auth or None,
                                          stream=True, decode=True)
            for item in stream:
                if isinstance(item, dict) and item.get("error"):
                    text = str(item["error"])
                    reason = classify_pull_error(text)
                    raise ImagePullFailed(pull_message(reason, image_ref, text), reason)
        except APIError as exc:
            text = str(exc.explanation or exc)
            reason = classify_pull_error(text)
            raise ImagePullFailed(pull_message(reason, image_ref, text), reason) from exc
        if not self.has_image(image_ref):
            raise ImagePullFailed(f"The image {image_ref} could not be pulled.", "not_found")

    # Instances --------------------------------------------------------------------
    def ensure(self, spec: InstanceSpec) -> Observed:
        existing = self._container(spec.name)
        if existing is not None:
            labels = existing.attrs.get("Config", {}).get("Labels") or {}
            if all(labels.get(k) == v for k, v in spec.labels.items()):
                return self._observed(existing)
            # A stale container of the same name (another version that had this name):
            # it is not what the spec asks for, so it goes.
            self._force_remove(existing)
        try:
            container = self.client.containers.create(
                spec.image, name=spec.name, detach=True, labels=spec.labels,
                environment=spec.env, ports={f"{spec.port}/tcp": (spec.host_ip, spec.host_port)},
                nano_cpus=spec.nano_cpus, mem_limit=spec.mem_limit,
                memswap_limit=spec.mem_limit,
            )
        except APIError as exc:
            # Created meanwhile by a concurrent run: use it. Docker answers 409; Podman's
            # compatible API answers 500 "... that name is already in use".
            if exc.status_code == 409 or "already in use" in str(exc.explanation or ""):
                found = self._appearing(spec.name)
                if found:
                    return found
            raise RuntimeFailure(f"The container {spec.name} could not be created: "
                                 f"{exc.explanation or exc}") from exc
        try:
            container.start()
        except APIError as exc:
            self._force_remove(container)
            raise RuntimeFailure(f"The container {spec.name} could not start: "
                                 f"{exc.explanation or exc}") from exc
        container.reload()
        return self._observed(container)

    def _appearing(self, name: str) -> Observed | None:
        """The container a concurrent create is making: Podman reserves the name a moment
        before the container can be inspected, so look a few times."""
        for _ in range(CONFLICT_LOOKS):
            found = self.get(name)
            if found:
                return found
            time.sleep(CONFLICT_LOOK_SECONDS)
        return None

    def observe(self, labels: dict[str, str]) -> list[Observed]:
        filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
        try:
            found = self.client.containers.list(all=True, filters=filters, sparse=True)
        except (APIError, DockerException) as exc:
            raise EngineUnavailable(f"The container engine could not list containers: {exc}") from exc
        result = []
        for container in found:
            observed = self._observed_sparse(container.attrs)
            if not observed.running:  # exit code and OOM only come with a full inspect
                observed = self.get(observed.name) or observed
            result.append(observed)
        return result

    def get(self, name: str) -> Observed | None:
        container = self._container(name)
        return self._observed(container) if container is not None else None

    def remove(self, name: str) -> None:
        container = self._container(name)
        if container is None:
            return
        try:
            if container.status == "running":
                container.stop(timeout=settings.RUNTIME_STOP_TIMEOUT_SECONDS)
        except (NotFound, APIError):
            pass
        self._force_remove(container)
        self._cpu_samples.pop(name, None)

    # Observations -----------------------------------------------------------------
    def logs(self, name: str, since: datetime | None = None, tail: int | None = None) -> list[LogLine]:
        container = self._container(name)
        if container is None:
            return []
        lines: list[LogLine] = []
        for stream in ("stdout", "stderr"):
            kwargs = {"stdout": stream == "stdout", "stderr": stream == "stderr",
                      "timestamps": True, "tail": tail if tail is not None else "all"}
            if since is not None:
                kwargs["since"] = int(since.timestamp())
            try:
                raw = container.logs(**kwargs)
            except (APIError, NotFound):
                continue
            lines.extend(_parse_log_lines(raw, stream))
        lines.sort(key=lambda line: line.timestamp)  # stable: keeps each stream's order
        return lines

    def read_files(self, name: str, path: str) -> dict[str, bytes]:
        container = self._container(name)
        if container is None:
            return {}
        try:
            chunks, _stat = container.get_archive(path)
            data = b"".join(chunks)
        except (APIError, NotFound):
            return {}
        parent = os.path.dirname(path.rstrip("/"))
        return files_from_tar(data, lambda member: os.path.join(parent, member))

    def stats(self, name: str) -> Usage | None:
        """Cores in use since the previous sample this process took (Podman's system
        counter is unusable, see the notes); the first sample reports cpu_cores=-1."""
        try:
            raw = self.client.api.stats(name, stream=False)
        except (APIError, NotFound, json.JSONDecodeError, ValueError):
            return None
        except DockerException:
            return None
        total = int(((raw.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage") or 0)
        now = time.monotonic()
        previous = self._cpu_samples.get(name)
        self._cpu_samples[name] = (total, now)
        memory = raw.get("memory_stats") or {}
        mem = int(memory.get("usage") or 0) - int((memory.get("stats") or {}).get("inactive_file") or 0)
        if previous is None or now <= previous[1] or total < previous[0]:
            return Usage(cpu_cores=-1.0, memory_bytes=max(mem, 0))
        cores = (total - previous[0]) / 1e9 / (now - previous[1])
        return Usage(cpu_cores=max(cores, 0.0), memory_bytes=max(mem, 0))

    def probe(self, observed: Observed, port: int, timeout: float) -> ProbeResult:
        if observed.host_port is None:
            return ProbeResult(False, "no_port")
        return health.http_get("127.0.0.1", observed.host_port, timeout)

    def listening_ports(self, name: str) -> list[int] | None:
        """Read /proc/<pid>/net/tcp from the host when we can (no binary needed in the
        image), else `cat` it inside the container."""
        container = self._container(name)
        if container is None:
            return None
        pid = (container.attrs.get("State") or {}).get("Pid") or 0
        text = ""
        for table in ("tcp", "tcp6"):
            try:
                with open(f"/proc/{pid}/net/{table}") as fh:
                    text += fh.read()
            except OSError:
                pass
        if not text and container.status == "running":
            try:
                code, out = container.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"])
                text = out.decode(errors="replace") if out else ""
            except (APIError, NotFound):
                return None
        return listening_ports_from_proc(text) if text else None

    # Helpers ----------------------------------------------------------------------
    def _container(self, name: str):
        try:
            return self.client.containers.get(name)
        except NotFound:
            return None
        except APIError as exc:
            if exc.status_code == 404:
                return None
            raise EngineUnavailable(f"The container engine failed: {exc}") from exc

    def _force_remove(self, container) -> None:
        try:
            container.remove(force=True, v=True)
        except NotFound:
            pass
        except APIError as exc:
            if exc.status_code != 404:
                log.warning("removing %s failed: %s", container.name, exc)

    @staticmethod
    def _observed(container) -> Observed:
        attrs = container.attrs
        state = attrs.get("State") or {}
        config = attrs.get("Config") or {}
        return Observed(
            name=(attrs.get("Name") or container.name or "").lstrip("/"),
            id=attrs.get("Id", ""),
            state=state.get("Status", "unknown"),
            labels=config.get("Labels") or {},
            host_port=_host_port(attrs),
            exit_code=state.get("ExitCode") if state.get("Status") != "running" else None,
            oom_killed=bool(state.get("OOMKilled")),
            error=state.get("Error") or "",
            started_at=parse_time(state.get("StartedAt")),
            finished_at=parse_time(state.get("FinishedAt")),
        )

    @staticmethod
    def _observed_sparse(attrs: dict) -> Observed:
        names = attrs.get("Names") or [""]
        ports = [p.get("PublicPort") for p in attrs.get("Ports") or [] if p.get("PublicPort")]
        return Observed(name=names[0].lstrip("/"), id=attrs.get("Id", ""),
                        state=attrs.get("State", "unknown"), labels=attrs.get("Labels") or {},
                        host_port=int(ports[0]) if ports else None)


def _host_port(attrs: dict) -> int | None:
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for bindings in ports.values():
        for binding in bindings or []:
            if binding.get("HostPort"):
                return int(binding["HostPort"])
    return None


def _split_ref(image_ref: str) -> tuple[str, str | None]:
    """registry/repo@sha256:x -> (registry/repo, sha256:x); registry:5000/repo:t -> (.., t)."""
    if "@" in image_ref:
        repo, digest = image_ref.split("@", 1)
        return repo, digest
    name, _, tag = image_ref.rpartition(":")
    if name and "/" not in tag:
        return name, tag
    return image_ref, "latest"


def _parse_log_lines(raw: bytes, stream: str) -> list[LogLine]:
    lines = []
    for row in raw.decode("utf-8", errors="replace").splitlines():
        stamp, _, text = row.partition(" ")
        when = parse_time(stamp)
        if when is None:  # no timestamp: keep the line, stamped now
            when, text = datetime.now().astimezone(), row
        lines.append(LogLine(when, stream, text))
    return lines
