"""The test session never touches what `make run` keeps in the checkout's var/."""
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from tests.servers.worker import ROOT


def test_the_router_files_of_tests_are_not_the_checkouts():
    # `make run`'s HAProxy reads var/router and listens on its master socket there: a
    # test deploy's router sync would rewrite and reload it with the test database.
    router_dir = Path(settings.ROUTER_DIR).resolve()
    assert not router_dir.is_relative_to((ROOT / "var").resolve())
    assert os.environ["ROUTER_DIR"] == str(router_dir)  # what the test workers inherit


def test_a_worker_process_of_the_session_shares_its_router_dir():
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings'; "
            "django.setup(); from django.conf import settings; print(settings.ROUTER_DIR)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == os.environ["ROUTER_DIR"]
