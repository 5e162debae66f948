"""The packaging tests start whole platforms with their own databases: they run once per
`make test` (on the SQLite pass); the compose and in-cluster tests, which build the image,
only when asked for (`pytest -m compose`, `pytest -m incluster`)."""
import pytest
from django.db import connection

# Slow tests that build the platform image, run only when their marker is asked for.
OPT_IN = ("compose", "incluster")


def pytest_collection_modifyitems(config, items):
    asked_for = config.option.markexpr or ""
    for item in items:
        if "packaging" not in item.keywords:
            continue
        opt_in = next((m for m in OPT_IN
                       if item.get_closest_marker(m) and m not in asked_for), None)
        if opt_in:
            item.add_marker(pytest.mark.skip(reason=f"builds the image: run with -m {opt_in}"))
        elif connection.vendor == "postgresql":
            item.add_marker(pytest.mark.skip(reason="starts its own database; runs on the "
                                                    "SQLite pass"))
