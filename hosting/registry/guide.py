"""The service's upload guide: the exact commands that put an image in its repository."""
import shlex

from django.conf import settings

EXAMPLE_LOCAL_IMAGE = "my-image:latest"
EXAMPLE_TAG = "v1"


def plain_http() -> bool:
    """The local registry speaks plain HTTP, which container CLIs refuse unless told."""
    return settings.REGISTRY_URL.startswith("http://")


def upload_guide(service, username: str, tag: str = EXAMPLE_TAG,
                 local_image: str = EXAMPLE_LOCAL_IMAGE) -> dict:
    """Commands for podman and for docker, step by step, plus what to type at the prompt.

    `service.repository` is "<tenant>/<service>"; the registry host comes from
    settings.REGISTRY_HOST. The password is the console password or an API token.
    """
    host = settings.REGISTRY_HOST
    image = f"{host}/{service.repository}:{tag}"
    tls = ["--tls-verify=false"] if plain_http() else []
    podman = [
        shlex.join(["podman", "login", *tls, "-u", username, host]),
        shlex.join(["podman", "tag", local_image, image]),
        shlex.join(["podman", "push", *tls, image]),
    ]
    docker = [
        shlex.join(["docker", "login", "-u", username, host]),
        shlex.join(["docker", "tag", local_image, image]),
        shlex.join(["docker", "push", image]),
    ]
    return {
        "registry": host,
        "repository": service.repository,
        "image": image,
        "example_tag": tag,
        # The podman commands alone, for scripts that want one command per step.
        "login": podman[0],
        "tag": podman[1],
        "push": podman[2],
        "username": username,
        "password_hint": "your console password, or an API token (for CI pipelines)",
        "plain_http": plain_http(),
        "podman": podman,
        "docker": docker,
        "steps": [
            {"title": "Log in to the registry", "podman": podman[0], "docker": docker[0]},
            {"title": "Tag your local image for this service",
             "podman": podman[1], "docker": docker[1]},
            {"title": "Push it", "podman": podman[2], "docker": docker[2]},
        ],
        "notes": _notes(host),
    }


def _notes(host: str) -> list[str]:
    notes = [f"Replace {EXAMPLE_LOCAL_IMAGE} with the name of the image you built and "
             f"{EXAMPLE_TAG} with the tag you want; the tag then appears in the version "
             "wizard.",
             "Pushing the same tag again does not change versions already created: each "
             "version keeps the image digest it was created with."]
    if plain_http():
        notes.append(f"The registry at {host} speaks plain HTTP: podman needs "
                     "--tls-verify=false; docker accepts 127.0.0.0/8 as is, any other "
                     f"host needs \"insecure-registries\": [\"{host}\"] in "
                     "/etc/docker/daemon.json.")
    return notes
