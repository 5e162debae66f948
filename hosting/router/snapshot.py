"""Read the router's desired state from the database (the only I/O before rendering)."""
from django.conf import settings

from hosting.models import Instance, Service, Version
from hosting.router.model import Endpoints, RouterState, ServiceRoute, VersionRoute
from hosting.status import VersionStatus

# Versions that get routes: everything live except what is on its way out. A version
# that cannot serve (failed, suspended) still has its preview host, answered by the
# activator, so the URL says "unavailable" instead of "no such app".
UNROUTED = {VersionStatus.DELETING, VersionStatus.DELETED}
LOOPBACK = "127.0.0.1"


def endpoints() -> Endpoints:
    directory = settings.ROUTER_DIR
    return Endpoints(
        listen_host=getattr(settings, "ROUTER_HOST", LOOPBACK),
        listen_port=settings.ROUTER_PORT,
        activator_host=LOOPBACK,
        activator_port=settings.ACTIVATOR_PORT,
        stats_socket=str(directory / "stats.sock"),
        map_file=str(directory / "hosts.map"),
        hold_seconds=settings.ACTIVATOR_HOLD_SECONDS,
        timings=getattr(settings, "ROUTER_TIMINGS", True),
    )


def ready_instances() -> dict[int, list[tuple[str, int]]]:
    rows = (Instance.objects.filter(ready=True, host_port__isnull=False)
            .order_by("version_id", "ordinal").values_list("version_id", "host_ip", "host_port"))
    result: dict[int, list[tuple[str, int]]] = {}
    for version_id, host, port in rows:
        result.setdefault(version_id, []).append((host or LOOPBACK, port))
    return result


def snapshot() -> RouterState:
    ready = ready_instances()
    versions = (Version.objects.live().exclude(status__in=UNROUTED)
                .select_related("service__tenant").order_by("service_id", "sequence"))
    by_service: dict[int, list[VersionRoute]] = {}
    for v in versions:
        by_service.setdefault(v.service_id, []).append(VersionRoute(
            id=v.pk, name=v.name, preview_host=v.preview_host, share=v.traffic_percent,
            desired=v.desired_instances, instances=tuple(ready.get(v.pk, ()))))
    services = Service.objects.filter(pk__in=by_service).select_related("tenant").order_by("pk")
    routes = tuple(ServiceRoute(id=s.pk, host=s.host, versions=tuple(by_service[s.pk]))
                   for s in services)
    return RouterState(endpoints=endpoints(), services=routes)
