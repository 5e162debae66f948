"""Render HAProxy's configuration from a RouterState: a pure function, no I/O.

Layout:
- one frontend on the router port; the Host header (port stripped, lower-cased) is
  looked up in a map file: a service host maps to `svc_<id>`, a preview host to
  `ver_<id>`; anything else gets a 404.
- `svc_<id>`: every live version of the service has `SLOT_CHUNK`-rounded server slots
  `v<vid>_<n>` plus one `v<vid>_act` slot pointing at the activator. Weights split the
  service's traffic by share (roundrobin follows weights exactly), so a share change is
  a runtime `set weight`, never a reload. A version with a share and no ready instance
  has its activator slot enabled with the version's whole weight.
- `ver_<id>`: the preview backend; the same instance slots and the activator as a
  backup server, used only while no instance is ready.
- `http-send-name-header X-Hosting-Server` tells the activator which version a request
  is for (`v<vid>_act`), whatever host it came in on.

Server addresses, weights and enabled flags are runtime state: `Config.digest` hashes
everything else, so sync reloads only when the digest changes.
"""
import hashlib

from hosting.router.model import (
    Backend,
    Config,
    Endpoints,
    RouterState,
    Server,
    ServiceRoute,
    VersionRoute,
)

SLOT_CHUNK = 4  # instance slots per version come in chunks, so scaling rarely reloads
MAX_WEIGHT = 256  # HAProxy's maximum server weight
PREVIEW_WEIGHT = 100
PLACEHOLDER = ("127.0.0.1", 1)  # address of an empty (disabled) slot
NAME_HEADER = "X-Hosting-Server"
# Every request's timing goes to an in-memory ring that the rollout machine reads over the
# stats socket (`show events timings`): per-version p95 without a log receiver process.
TIMINGS_RING = "timings"
TIMINGS_RING_BYTES = 1 << 20
TIMINGS_FORMAT = "%pid %rt %b %s %ST %Ta"
# When the router received the request (`t=<Unix milliseconds>`, the common convention):
# a cold start's phases begin there, not when the activator got round to it.
START_HEADER = "X-Request-Start"


def slot_count(version: VersionRoute) -> int:
    needed = max(len(version.instances), version.desired, 1)
    return -(-needed // SLOT_CHUNK) * SLOT_CHUNK


def share_weights(share: int, ready: int) -> int:
    """Per-instance weight: the version's share of MAX_WEIGHT spread over its instances."""
    if share <= 0 or ready == 0:
        return 0
    return max(1, round(share * MAX_WEIGHT / 100 / ready))


def instance_slots(version: VersionRoute, weight: int) -> list[Server]:
    slots = []
    for n in range(slot_count(version)):
        if n < len(version.instances):
            address, port = version.instances[n]
            slots.append(Server(f"v{version.id}_{n}", address, port, weight, True))
        else:
            slots.append(Server(f"v{version.id}_{n}", *PLACEHOLDER, 0, False))
    return slots


def service_backend(service: ServiceRoute, ends: Endpoints) -> Backend:
    servers: list[Server] = []
    for version in service.versions:
        ready = len(version.instances)
        servers += instance_slots(version, share_weights(version.share, ready))
        waking = version.share > 0 and ready == 0
        servers.append(Server(f"v{version.id}_act", ends.activator_host, ends.activator_port,
                              share_weights(version.share, 1) if waking else 0, waking))
    return Backend(f"svc_{service.id}", tuple(servers))


def preview_backend(version: VersionRoute, ends: Endpoints) -> Backend:
    servers = instance_slots(version, PREVIEW_WEIGHT)
    servers.append(Server(f"v{version.id}_act", ends.activator_host, ends.activator_port,
                          1, True, backup=True))
    return Backend(f"ver_{version.id}", tuple(servers))


def backends(state: RouterState) -> list[Backend]:
    result = []
    for service in state.services:
        result.append(service_backend(service, state.endpoints))
        result += [preview_backend(v, state.endpoints) for v in service.versions]
    return result


def host_map(state: RouterState) -> str:
    lines = []
    for service in state.services:
        lines.append(f"{service.host.lower()} svc_{service.id}")
        lines += [f"{v.preview_host.lower()} ver_{v.id}" for v in service.versions]
    return "".join(f"{line}\n" for line in sorted(lines))


def server_line(server: Server, runtime: bool) -> str:
    flags = " backup" if server.backup else ""
    if not runtime:  # the digest ignores what runtime commands can change
        return f"    server {server.name} ADDR{flags}"
    disabled = "" if server.enabled else " disabled"
    return (f"    server {server.name} {server.address}:{server.port} "
            f"weight {server.weight}{flags}{disabled}")


def backend_text(backend: Backend, runtime: bool) -> str:
    lines = [f"backend {backend.name}", "    balance roundrobin",
             f"    http-send-name-header {NAME_HEADER}"]
    lines += [server_line(s, runtime) for s in backend.servers]
    return "\n".join(lines) + "\n"


def timings_ring(ends: Endpoints) -> str:
    if not ends.timings:
        return ""
    return (f"ring {TIMINGS_RING}\n    format raw\n    maxlen 256\n"
            f"    size {TIMINGS_RING_BYTES}\n")


def timings_log(ends: Endpoints) -> str:
    if not ends.timings:
        return ""
    return f'    log ring@{TIMINGS_RING} local0 info\n    log-format "{TIMINGS_FORMAT}"\n'


def head_text(ends: Endpoints) -> str:
    # The server timeout covers the activator's hold plus a slow first answer.
    server_timeout = int(ends.hold_seconds) + 60
    return f"""\
global
    stats socket {ends.stats_socket} mode 600 level admin expose-fd listeners
    stats timeout 30s
    maxconn 8000
    hard-stop-after 120s

{timings_ring(ends)}
defaults
    mode http
{timings_log(ends)}    option http-keep-alive
    option forwardfor
    http-reuse safe
    retries 3
    retry-on conn-failure empty-response
    option redispatch 1
    timeout connect 2s
    timeout client 60s
    timeout server {server_timeout}s
    timeout queue 30s
    timeout http-request 15s
    timeout http-keep-alive 15s

frontend router
    bind {ends.listen_host}:{ends.listen_port}
    http-request del-header {NAME_HEADER}
    http-request set-header {START_HEADER} t=%[date(0,ms)]
    use_backend %[req.hdr(host),field(1,:),lower,map({ends.map_file},no_route)]

backend no_route
    http-request return status 404 content-type text/plain string "No app answers at this address." hdr X-Hosting-Router no-route
"""


def render(state: RouterState) -> Config:
    backs = backends(state)
    head = head_text(state.endpoints)
    hosts = host_map(state)
    structure = head + hosts + "".join(backend_text(b, runtime=False) for b in backs)
    digest = hashlib.sha256(structure.encode()).hexdigest()[:16]
    # `description` is how sync learns which structure the running worker loaded.
    head = head.replace("global\n", f"global\n    description cfg-{digest}\n", 1)
    text = head + "".join("\n" + backend_text(b, runtime=True) for b in backs)
    return Config(text=text, map_text=hosts, digest=digest, backends=tuple(backs))
