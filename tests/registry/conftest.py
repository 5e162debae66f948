import pytest


@pytest.fixture(scope="session")
def registry_key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("registry-keys")


@pytest.fixture
def token_settings(settings, registry_key_dir):
    """Unit tests sign with a key in a temporary directory, never var/."""
    settings.REGISTRY_KEY_DIR = registry_key_dir
    return settings
