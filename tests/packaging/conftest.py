"""The packaging tests start whole platforms with their own databases: they run once per
`make test` (on the SQLite pass), and the compose test, which builds the image, only when
asked for (`pytest -m compose`)."""
import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    asked_for_compose = "compose" in (config.option.markexpr or "")
    for item in items:
        if "packaging" not in item.keywords:
            continue
        if "compose" in item.keywords and not asked_for_compose:
            item.add_marker(pytest.mark.skip(reason="builds the image: run with -m compose"))
        elif connection.vendor == "postgresql":
            item.add_marker(pytest.mark.skip(reason="starts its own database; runs on the "
                                                    "SQLite pass"))
