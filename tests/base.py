"""The people and things tests are written about, built in code.

alice owns tenant "alpha", bob owns tenant "bravo", charlie is a viewer in "alpha".
"""
import socket
import threading
from contextlib import contextmanager

from django.contrib.auth import get_user_model

from hosting.domain.config import VersionConfig
from hosting.domain.tenants import create_tenant
from hosting.domain.versions import create_version
from hosting.models import Application, Membership, Project, Service


def make_world() -> dict:
    alpha, alice_key = create_tenant("alpha", "alice", "alice-password")
    bravo, bob_key = create_tenant("bravo", "bob", "bob-password")
    charlie = get_user_model().objects.create_user("charlie", password="charlie-password")
    Membership.objects.create(user=charlie, tenant=alpha, role=Membership.Role.VIEWER)
    return {
        "alpha": alpha, "bravo": bravo, "alice_key": alice_key, "bob_key": bob_key,
        "alice": get_user_model().objects.get(username="alice"),
        "bob": get_user_model().objects.get(username="bob"),
        "charlie": charlie,
        "svc": make_service(alpha, "testservice"),
        "bravo_svc": make_service(bravo, "othersvc"),
    }


def make_service(tenant, name: str, project: str = "proj", app: str = "app") -> Service:
    project_obj, _ = Project.objects.get_or_create(tenant=tenant, name=project)
    app_obj, _ = Application.objects.get_or_create(project=project_obj, name=app,
                                                   defaults={"tenant": tenant})
    return Service.objects.create(application=app_obj, tenant=tenant, name=name)


def make_version(service: Service, **overrides):
    return create_version(service, VersionConfig(image_tag="v1", **overrides))


def wait_for(predicate, seconds: float = 30.0, every: float = 0.05, what: str = "condition"):
    """Poll until `predicate()` is truthy and return its value (tests never assert on
    wall-clock time; the deadline only stops a test that would otherwise hang)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {seconds:g} s")
        time.sleep(every)


def deploy_now(version_id: int, seconds: float = 120.0) -> None:
    """What the worker does with a deploy message and the ones it schedules for itself,
    in this process: run each step when the previous one said to look again."""
    import time

    from django.utils import timezone

    from hosting.models import Version
    from hosting.orchestration import deploy

    deadline = time.monotonic() + seconds
    due = Version.objects.filter(pk=version_id).values_list("next_check_at", flat=True).first()
    if due is not None:  # a deploy under way: its next message comes when it said
        time.sleep(max(0.0, (due - timezone.now()).total_seconds()))
    while (later := deploy.deploy(version_id)) is not None:
        wait = max(0.0, (later - timezone.now()).total_seconds())
        if time.monotonic() + wait > deadline:
            raise AssertionError(f"the deploy of version {version_id} did not end in {seconds:g} s")
        time.sleep(wait)


def deploy_until(version_id: int, phase: str, seconds: float = 120.0) -> None:
    """The worker's part of a deploy, one message at a time when each is due, until the
    deploy records `phase` (as the step that got there returns): every step must answer
    "look again", never finish nor fail."""
    from django.utils import timezone

    from hosting.models import Version
    from hosting.orchestration import deploy

    def step() -> bool:
        version = Version.objects.get(pk=version_id)
        if version.next_check_at and version.next_check_at > timezone.now():
            return False  # its next message is not due yet
        assert deploy.deploy(version_id) is not None, Version.objects.get(pk=version_id).latest_error()
        return Version.objects.get(pk=version_id).deploy_phase == phase

    wait_for(step, seconds=seconds, every=0.05, what=f"the deploy of version {version_id} reaching {phase}")


@contextmanager
def tcp_listener(address: str):
    """A TCP port on `address` (port chosen by the kernel) that accepts and closes every
    connection until the block ends; yields the port. Stands for a host service."""
    server = socket.create_server((address, 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                server.accept()[0].close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()
