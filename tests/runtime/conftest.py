"""Unit-test plumbing: the in-memory runtime and a fake registry behind the deploy."""
import pytest
from django.test import override_settings

from hosting import runtimes
from hosting.orchestration import images
from hosting.runtimes.memory import Behaviour, MemoryRuntime
from tests.base import deploy_now

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def mem(monkeypatch):
    """The memory runtime, a registry that knows tag v1 of every repository, fast health
    windows."""
    runtime = MemoryRuntime()
    runtimes.override(runtime)
    tags: dict[str, str] = {"v1": DIGEST}

    def resolve(repository, tag):
        if tag not in tags:
            raise images.ImageProblem(f"The tag {tag} does not exist in {repository}.", "not_found")
        return tags[tag]

    monkeypatch.setattr(images, "resolve_digest", resolve)
    monkeypatch.setattr(images, "pull_auth", lambda repo: {"username": "x", "password": "y"})
    runtime.tags = tags
    with override_settings(HEALTH_CHECK_TIMEOUT_SECONDS=0.05, RUNTIME_BACKEND="memory"):
        yield runtime
    runtimes.override(None)


def publish(runtime: MemoryRuntime, service, behaviour: Behaviour | None = None,
            digest: str = DIGEST) -> str:
    """Make `service`'s image (at `digest`) pullable with this behaviour."""
    ref = f"{service.image_base}@{digest}"
    runtime.add_image(ref, behaviour or Behaviour())
    return ref


def new_version(service, **config):
    """A created version (deploy not run): image tag v1, port 8080, no initial delay."""
    from hosting.domain.config import VersionConfig
    from hosting.domain.versions import create_version

    config = {"image_tag": "v1", "port": 8080, "initial_delay_seconds": 0, **config}
    return create_version(service, VersionConfig(**config))


def deployed(svc, mem, behaviour=None, **config):
    """A version of an image that behaves as told, deployed on the in-memory runtime."""
    from hosting.models import Version

    publish(mem, svc, behaviour)
    version = new_version(svc, **config)
    deploy_now(version.pk)
    return Version.objects.get(pk=version.pk)
