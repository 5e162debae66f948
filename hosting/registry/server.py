"""The registry's config.yml, rendered from docker/registry/config.yml.tmpl so that
`docker-registry serve <config>` trusts the tokens this app signs."""
import os
import string
from pathlib import Path

from django.conf import settings
from django.utils.crypto import salted_hmac

from hosting.registry.keys import cert_path

TEMPLATE = Path(settings.BASE_DIR) / "docker" / "registry" / "config.yml.tmpl"
REALM_PATH = "/registry/token/"


def registry_dir() -> Path:
    return Path(settings.VAR_DIR) / "registry"


def default_realm() -> str:
    """The web app's token endpoint: REGISTRY_TOKEN_REALM, else built from WEB_ADDR
    (the address scripts/run.sh binds the web to)."""
    explicit = os.environ.get("REGISTRY_TOKEN_REALM", "")
    if explicit:
        return explicit
    return f"http://{os.environ.get('WEB_ADDR', '127.0.0.1:8000')}{REALM_PATH}"


def listen_addr() -> str:
    """Where the registry listens: the host:port clients push to (loopback by default)."""
    return settings.REGISTRY_HOST


def render_config(*, addr: str | None = None, storage_dir: Path | None = None,
                  realm: str | None = None) -> str:
    """The config text; creates the signing certificate first if needed."""
    values = {
        "REGISTRY_ADDR": addr or listen_addr(),
        "REGISTRY_STORAGE_DIR": str(storage_dir or registry_dir() / "data"),
        # Signs upload state between requests; stable across restarts of one registry.
        "REGISTRY_HTTP_SECRET": salted_hmac("hosting.registry.http", "secret").hexdigest(),
        "REGISTRY_TOKEN_REALM": realm or default_realm(),
        "REGISTRY_TOKEN_SERVICE": settings.REGISTRY_SERVICE,
        "REGISTRY_TOKEN_ISSUER": settings.REGISTRY_ISSUER,
        "REGISTRY_TOKEN_CERT": str(cert_path()),
    }
    return string.Template(TEMPLATE.read_text()).substitute(values)


def write_config(path: Path | None = None, **options) -> Path:
    """Render into `path` (default var/registry/config.yml), creating the storage dir."""
    path = Path(path or registry_dir() / "config.yml")
    storage = Path(options.get("storage_dir") or registry_dir() / "data")
    storage.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_config(**{**options, "storage_dir": storage}))
    os.chmod(path, 0o600)  # holds the HTTP secret
    return path
