"""End-to-end plumbing: the console's browser fixtures, an artifacts folder, the verbose
httpd image, and helpers that wait (with generous deadlines) for what the worker does."""
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import base
from tests.console.conftest import (  # noqa: F401  (fixtures shared with the console tests)
    browser_page,
    live_world,
    plain_http,
)
from tests.servers.registry import IMAGE_PREFIX

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
IMAGES = Path(__file__).resolve().parent / "images"
BUILD_SCRIPT = ROOT / "docker" / "testimages" / "build.sh"
DEADLINE_SECONDS = 45


def wait_for(predicate: Callable, seconds: float = DEADLINE_SECONDS, every: float = 0.2,
             what: str = "condition"):
    return base.wait_for(predicate, seconds, every, what)


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves test-artifacts/e2e/name.png (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def build_verbose_httpd(workdir: Path) -> str:
    """tests/e2e/images/httpd-verbose on the build context of docker/testimages/httpd
    (busybox and the pages come from there); built offline with podman."""
    contexts = workdir / "contexts"
    subprocess.run([str(BUILD_SCRIPT), "--contexts", str(contexts), "httpd"], check=True,
                   capture_output=True, timeout=120)
    context = contexts / "httpd"
    (context / "Dockerfile").write_text((IMAGES / "httpd-verbose" / "Dockerfile").read_text())
    ref = f"{IMAGE_PREFIX}/httpd-verbose:latest"
    subprocess.run(["podman", "build", "--quiet", "--network=none", "--pull=never", "-t", ref,
                    str(context)], check=True, capture_output=True, timeout=300)
    return ref


@pytest.fixture(scope="session")
def e2e_images(registry_images, tmp_path_factory):
    """registry_images plus "httpd-verbose", so push_test_image(..., image="httpd-verbose")
    pushes it."""
    if "httpd-verbose" not in registry_images:
        registry_images["httpd-verbose"] = build_verbose_httpd(tmp_path_factory.mktemp("e2e-images"))
    return registry_images



@pytest.fixture
def platform(router, celery_worker):
    """HAProxy first (its settings: ROUTER_PORT, ROUTER_DIR), then the worker, which
    starts with those settings and keeps the router's config in sync."""
    return {"router": router, "worker": celery_worker}
