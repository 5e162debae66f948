"""The local engine: the Docker Engine API through the `docker` SDK (Podman or Docker).

Podman's compatible socket differs from Docker in a few ways (docs/podman-notes.md):
failed pulls must be read from the JSON stream, `stats` has no previous sample and its
system CPU counter cannot be used, log timestamps have second precision. Each is handled
here so the orchestration layer never sees the difference.
"""
from __future__ import annotations

import json
import logging
import os
import tarfile
import threading
import time
from datetime import datetime

import docker
from django.conf import settings
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from hosting.runtimes import firewall, specs
from hosting.runtimes.base import (
    EngineUnavailable,
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
from hosting.runtimes.probe import http_get
from hosting.runtimes.pulls import classify_pull_error, pull_message
from hosting.runtimes.streams import (
    MAX_LOG_FILE_BYTES,
    ChunkReader,
    files_from_tar,
    listening_ports_from_proc,
    parse_log_lines,
    parse_time,
    read_capped,
)

log = logging.getLogger(__name__)
CONFLICT_LOOKS, CONFLICT_LOOK_SECONDS = 50, 0.1  # up to 5 s for a concurrent create
NEVER_STARTED = {"created", "configured"}  # Docker and Podman names for a container not yet started
# How long this process trusts a tenant network it checked and fenced before checking
# again. Checking costs a network inspect (Podman lists every container on it) and three
# iptables calls under the host-wide xtables lock, which netavark also takes for every
# container start: done on each start, concurrent deploys queued behind one another.
NETWORK_TRUST_SECONDS = 60.0
# A bare `userns=auto` deadlocks Podman 4.3 (containers/storage 1.43) for good: sizing the
# namespace from the image (getMaxSizeFromImage, which also mounts a temporary layer on
# every create) takes the storage lock while the create holds the layer and image locks,
# and every container start (mount) or exiting podman process takes them the other way
# round. Concurrent deploys hung the engine at 40 to 160 containers. So the platform
# sizes the namespace itself (userns_size): the engine's own minimum (1024 ids, what it
# measures for nearly every image, so the subordinate range fragments no more than
# before: a namespace in pieces cannot be mounted) unless the image's USER needs more.
USERNS_MIN_SIZE = 1024
USERNS_FULL_SIZE = 65536  # every uid an image may name (nobody is 65534)


class LocalRuntime(Runtime):
    def __init__(self, base_url: str | None = None):
        self.base_url = base_url or settings.DOCKER_HOST
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()
        self._cpu_samples: dict[str, tuple[int, float]] = {}
        self._fenced: dict[str, float] = {}  # network name -> monotonic time it was checked
        self._userns_sizes: dict[str, int] = {}  # image reference -> namespace size

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

    def image_size(self, image_ref: str) -> int | None:
        try:
            return int(self.client.images.get(image_ref).attrs.get("Size") or 0) or None
        except (ImageNotFound, NotFound, APIError, ValueError):
            return None

    # Instances --------------------------------------------------------------------
    def ensure(self, spec: InstanceSpec) -> Observed:
        existing = self._container(spec.name)
        if existing is not None:
            observed = _owned(self._observed(existing, spec.port), spec)  # another's: NameConflict
            if existing.status in NEVER_STARTED:
                # Created by a call the engine never finished (its API service was
                # killed between create and start): start it now.
                return self._start(existing, spec)
            return observed
        trusted = self._is_fenced(spec.network)
        network = self._network(spec)
        try:
            container = self._create(spec, network)
        except APIError as exc:
            if trusted:  # the network may have gone since it was checked: check, once more
                self._fenced.pop(spec.network, None)
                return self.ensure(spec)
            # Created meanwhile by a concurrent run: use it. Docker answers 409; Podman's
            # compatible API answers 500 "... that name is already in use".
            if exc.status_code == 409 or "already in use" in str(exc.explanation or ""):
                found = self._appearing(spec.name)
                if found:
                    return _owned(found, spec)
            raise RuntimeFailure(f"The container {spec.name} could not be created: "
                                 f"{exc.explanation or exc}") from exc
        return self._start(container, spec)

    def _start(self, container, spec: InstanceSpec) -> Observed:
        try:
            container.start()
        except APIError as exc:
            self._force_remove(container)
            raise RuntimeFailure(f"The container {spec.name} could not start: "
                                 f"{exc.explanation or exc}") from exc
        container.reload()
        return self._observed(container, spec.port)

    def _create(self, spec: InstanceSpec, network: str | None):
        """Create (not start) the hardened container: no capabilities beyond the spec's,
        no new privileges, bounded pids, remapped uids, the tenant's network only."""
        # Nothing is published on the host: the router and the health checks reach the
        # app at the container's own address (_reach). An engine-picked host port is a
        # random free ephemeral port, and a port only DNAT'ed for another container looks
        # free, so two containers could share one and take each other's traffic.
        host_config = self.client.api.create_host_config(
            nano_cpus=spec.nano_cpus, mem_limit=spec.mem_limit, memswap_limit=spec.mem_limit,
            cap_drop=["ALL"], cap_add=list(spec.cap_add) or None,
            security_opt=["no-new-privileges"], pids_limit=spec.pids_limit,
            network_mode=network, privileged=False, read_only=spec.read_only,
            # Podman copies the image's files at a path into its tmpfs (tmpcopyup).
            tmpfs={path: f"size={spec.tmpfs_mib}m,mode=1777" for path in spec.tmpfs} or None,
            log_config=_log_config(spec.log_max_mib),
        )
        if spec.userns:  # the SDK only knows "host"; the API takes Podman's "auto"
            host_config["UsernsMode"] = self._userns_mode(spec)
        created = self.client.api.create_container(
            spec.image, name=spec.name, detach=True, labels=spec.labels,
            environment=spec.env, ports=[spec.port], host_config=host_config)
        # No inspect here: the start needs only the id, and _start inspects once after it
        # (each call waits its turn for Podman's locks behind every concurrent start).
        return self.client.containers.prepare_model({"Id": created["Id"]})

    def _userns_mode(self, spec: InstanceSpec) -> str:
        """"auto" with the size the image's USER needs (USERNS_MIN_SIZE); the image's
        config is read once per reference (a version's image is a digest)."""
        if spec.userns != "auto":
            return spec.userns
        size = self._userns_sizes.get(spec.image)
        if size is None:
            try:
                config = self.client.images.get(spec.image).attrs.get("Config") or {}
            except (ImageNotFound, NotFound):
                config = {}  # the create names the missing image
            size = self._userns_sizes[spec.image] = userns_size(config.get("User") or "")
        return f"auto:size={size}"

    def _network(self, spec: InstanceSpec) -> str | None:
        """The tenant's own network, created on first use and fenced by the firewall."""
        if spec.network is None or spec.tenant_id is None:
            return None
        if self._is_fenced(spec.network):
            return spec.network
        wanted = specs.network_labels(spec.tenant_id)
        network = self._find_network(spec.network)
        if network is None:
            try:
                network = self.client.networks.create(spec.network, driver="bridge",
                                                      labels=wanted)
            except APIError:  # a concurrent create won: use that one
                network = self._find_network(spec.network)
            if network is None:
                raise RuntimeFailure(f"The network {spec.network} could not be created.")
        labels = network.attrs.get("Labels") or {}
        if any(labels.get(k) != v for k, v in wanted.items()):
            raise NameConflict(f"A network named {spec.network} already exists but was not "
                               f"made by the platform for this tenant; it was left untouched.")
        firewall.ensure(_fence(network))
        self._fenced[spec.network] = time.monotonic()
        return spec.network

    def _is_fenced(self, network: str | None) -> bool:
        checked = self._fenced.get(network) if network else None
        return checked is not None and time.monotonic() - checked < NETWORK_TRUST_SECONDS

    def _find_network(self, name: str):
        network = _lookup(self.client.networks.get, name)
        return network if network is not None and network.name == name else None  # get() also matches id prefixes

    def remove_tenant(self, tenant_id: int) -> None:
        """Remove the tenant's leftover containers, its network and its firewall chain."""
        selector = {**specs.namespace_selector(), specs.LABEL_TENANT_ID: str(tenant_id)}
        for observed in self.observe(selector):
            self.remove(observed.id)
        name = specs.network_name(tenant_id)
        self._fenced.pop(name, None)
        network = self._find_network(name)
        if network is not None and (network.attrs.get("Labels") or {}).get(
                specs.LABEL_TENANT_ID) == str(tenant_id):
            try:
                network.remove()
            except APIError as exc:
                if exc.status_code != 404:
                    raise RuntimeFailure(f"The network {name} could not be removed: {exc}") from exc
        firewall.remove(name)

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
                observed = self.get(observed.id) or observed
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
    def logs(self, name: str, since: datetime | None = None, tail: int | None = None,
             max_bytes: int | None = None) -> list[LogLine]:
        container = self._container(name)
        if container is None:
            return []
        lines = LogLines()
        for stream in ("stdout", "stderr"):
            kwargs = {"stdout": stream == "stdout", "stderr": stream == "stderr",
                      "timestamps": True, "tail": tail if tail is not None else "all",
                      "stream": True, "follow": False}
            if since is not None:
                kwargs["since"] = int(since.timestamp())
            try:
                raw, cut = read_capped(container.logs(**kwargs), max_bytes)
            except (APIError, NotFound):
                continue
            lines.extend(parse_log_lines(raw, stream))
            lines.truncated |= cut
        lines.sort(key=lambda line: line.timestamp)  # stable: keeps each stream's order
        return lines

    def read_files(self, name: str, path: str, offsets: dict[str, int] | None = None,
                   max_bytes: int | None = None) -> dict[str, FileChunk]:
        """Streams the engine's tar archive: only each file's wanted tail is kept, and a
        file too large to scan (settings.LOG_MAX_FILE_SCAN_BYTES) is never read at all."""
        container = self._container(name)
        if container is None:
            return {}
        try:
            chunks, stat = container.get_archive(path)
        except (APIError, NotFound):
            return {}
        scan = settings.LOG_MAX_FILE_SCAN_BYTES
        parent = os.path.dirname(path.rstrip("/"))
        try:
            if _is_regular_file(stat) and int(stat.get("size") or 0) > scan:
                size = int(stat["size"])  # too large to scan: do not even start
                return {path: FileChunk(b"", size, size)}
            return files_from_tar(ChunkReader(chunks), parent, offsets or {},
                                   max_bytes or MAX_LOG_FILE_BYTES, scan)
        except (tarfile.TarError, APIError, OSError) as exc:
            log.warning("reading %s from %s failed: %s", path, name, exc)
            return {}
        finally:
            if hasattr(chunks, "close"):
                chunks.close()

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
        if not observed.host_ip:  # not running: no address on its network
            return ProbeResult(False, "no_port")
        return http_get(observed.host_ip, observed.host_port or port, timeout)

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
    def address(self, name: str, engine_id: str = "") -> str:
        """The container's id once known: names can be taken by anyone on the engine."""
        return engine_id or name

    def _container(self, name: str):
        return _lookup(self.client.containers.get, name)

    def _force_remove(self, container) -> None:
        try:
            container.remove(force=True, v=True)
        except NotFound:
            pass
        except APIError as exc:
            if exc.status_code != 404:
                log.warning("removing %s failed: %s", container.name, exc)

    @staticmethod
    def _observed(container, port: int | None = None) -> Observed:
        """`port`: the app's port when the caller knows it (the spec's)."""
        attrs = container.attrs
        state = attrs.get("State") or {}
        config = attrs.get("Config") or {}
        host_ip, host_port = _reach(attrs, port, _host_port(attrs))
        return Observed(
            name=(attrs.get("Name") or container.name or "").lstrip("/"),
            id=attrs.get("Id", ""),
            state=state.get("Status", "unknown"),
            labels=config.get("Labels") or {},
            host_ip=host_ip,
            host_port=host_port,
            exit_code=state.get("ExitCode") if state.get("Status") != "running" else None,
            oom_killed=bool(state.get("OOMKilled")),
            error=state.get("Error") or "",
            started_at=parse_time(state.get("StartedAt")),
            created_at=parse_time(attrs.get("Created")) if isinstance(attrs.get("Created"), str) else None,
            finished_at=parse_time(state.get("FinishedAt")),
        )

    @staticmethod
    def _observed_sparse(attrs: dict) -> Observed:
        names = attrs.get("Names") or [""]
        ports = [p.get("PublicPort") for p in attrs.get("Ports") or [] if p.get("PublicPort")]
        host_ip, host_port = _reach(attrs, None, int(ports[0]) if ports else None)
        return Observed(name=names[0].lstrip("/"), id=attrs.get("Id", ""),
                        state=attrs.get("State", "unknown"), labels=attrs.get("Labels") or {},
                        host_ip=host_ip, host_port=host_port)


def userns_size(user: str) -> int:
    """Ids an automatic user namespace needs for an image's USER (`name`, `uid`,
    `uid:gid`): the minimum for root and numeric ids below it; every id for a name (its
    uid is only in the image's /etc/passwd) or a higher id."""
    for part in user.split(":"):
        if part in ("", "root", "0"):
            continue
        if not part.isdigit() or int(part) >= USERNS_MIN_SIZE:
            return USERNS_FULL_SIZE
    return USERNS_MIN_SIZE


def _lookup(get, name: str):
    """An engine object by name, or None when the engine says it does not exist."""
    try:
        return get(name)
    except NotFound:
        return None
    except APIError as exc:
        if exc.status_code == 404:
            return None
        raise EngineUnavailable(f"The container engine failed: {exc}") from exc


def _owned(observed: Observed, spec: InstanceSpec) -> Observed:
    """The container if it is this spec's (all its labels match); a same-named one of
    another version, or one not made by us, is never adopted nor removed."""
    if all(observed.labels.get(k) == v for k, v in spec.labels.items()):
        return observed
    raise NameConflict(
        f"A container named {spec.name} already exists but was not made by the platform "
        f"for this instance (its labels differ); it was left untouched. Remove or rename "
        f"it, then deploy again.")


def _log_config(max_mib: int) -> dict | None:
    """Podman's conmon cuts the stdout/stderr file back at max-size ("json-file" is the
    name Docker and Podman both take for it)."""
    if max_mib <= 0:
        return None
    return {"Type": "json-file", "Config": {"max-size": f"{max_mib}m"}}


def _fence(network) -> firewall.Fence:
    """The network's subnet and gateway, from the engine's IPAM answer."""
    config = ((network.attrs.get("IPAM") or {}).get("Config") or [{}])[0]
    if not config.get("Subnet") or not config.get("Gateway"):
        raise RuntimeFailure(f"The network {network.name} has no subnet to fence.")
    return firewall.Fence(network.name, config["Subnet"], config["Gateway"])


def _reach(attrs: dict, port: int | None, published: int | None) -> tuple[str, int | None]:
    """(address, port) the platform's host reaches the app at: the container's address
    on its bridge network and the app's port (None when unknown: a probe is given it).
    A container made before nothing was published keeps its loopback host port
    (`published`, from an inspect's or a listing's own format)."""
    if published is not None:
        return "127.0.0.1", published
    return _container_ip(attrs), port


def _container_ip(attrs: dict) -> str:
    """Its address on its network (one network per container); "" when not running."""
    networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return next((n["IPAddress"] for n in networks.values() if n and n.get("IPAddress")), "")


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


def _is_regular_file(stat: dict) -> bool:
    """The engine's path stat (X-Docker-Container-Path-Stat): no directory, no special bits."""
    return isinstance(stat, dict) and not int(stat.get("mode") or 0) & (0xFFF << 20)
