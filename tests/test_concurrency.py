"""Version names and the 10-version cap stay exact when many requests race.

Runs on both databases: PostgreSQL serialises through SELECT ... FOR UPDATE, SQLite
through IMMEDIATE transactions (select_for_update does nothing there).
"""
import threading

import pytest
from django.db import connection

from hosting.domain.versions import VersionLimitReached, delete_version
from hosting.models import Version
from tests.base import make_version, make_world

pytestmark = pytest.mark.django_db(transaction=True)


def race(target, count: int) -> list:
    """Run `target` in `count` threads released at the same moment; return outcomes."""
    barrier = threading.Barrier(count)
    outcomes: list = []

    def run() -> None:
        try:
            barrier.wait()
            outcomes.append(target())
        except Exception as exc:  # collected and asserted on by the caller
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_twenty_simultaneous_creations_give_ten_unique_names_and_ten_refusals():
    svc = make_world()["svc"]
    outcomes = race(lambda: make_version(svc).name, 20)
    names = sorted(o for o in outcomes if isinstance(o, str))
    refused = [o for o in outcomes if isinstance(o, VersionLimitReached)]
    assert names == [f"testservice-{i:03d}" for i in range(1, 11)]
    assert len(refused) == 10, [o for o in outcomes if isinstance(o, Exception)]
    assert Version.objects.filter(service=svc).count() == 10


def test_sequences_keep_growing_across_racing_deletes_and_creates():
    svc = make_world()["svc"]
    first = [make_version(svc) for _ in range(5)]
    for version in first:
        delete_version(version)
    outcomes = race(lambda: make_version(svc).sequence, 10)
    assert sorted(outcomes) == list(range(6, 16))
