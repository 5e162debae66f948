"""Log collection is bounded: per pass, per line, per version per day; and says so."""
import io
import tarfile

import pytest
from django.test import override_settings

from hosting.models import Version
from hosting.orchestration import deploy, logs
from hosting.runtimes.memory import Behaviour
from hosting.runtimes.streams import ChunkReader, files_from_tar, read_capped
from tests.runtime.conftest import new_version, publish

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "LOCATION": "log-caps"}}


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = LOCMEM
    from django.core.cache import cache

    cache.clear()


def running(svc, mem, behaviour, **config):
    publish(mem, svc, behaviour)
    version = new_version(svc, **config)
    deploy.deploy(version.pk)
    version = Version.objects.get(pk=version.pk)
    return version, version.instances.get()


def sources(version):
    return [(entry.source, entry.line) for entry in logs.read_logs(version, tail=1000)]


@override_settings(LOG_MAX_BYTES_PER_PASS=64)
def test_a_file_growing_past_the_cap_keeps_its_newest_lines_and_says_what_was_dropped(svc, mem):
    big = b"".join(b"line %03d\n" % n for n in range(100))  # 900 bytes
    version, instance = running(svc, mem, Behaviour(files={"/var/log/app/a.log": big}),
                                log_paths=["/var/log/app"])
    logs.collect(mem, version, instance)
    got = sources(version)
    dropped = [line for source, line in got if source == "platform"]
    assert dropped == ["Log lines dropped: 836 bytes of /var/log/app/a.log beyond "
                       "LOG_MAX_BYTES_PER_PASS (64 bytes)."]
    kept = [line for source, line in got if source != "platform"]
    assert kept == [f"line {n:03d}" for n in range(93, 100)]  # whole lines only
    assert instance.log_cursors["/var/log/app/a.log"] == len(big)
    assert logs.collect(mem, version, instance) == 0  # nothing twice


@override_settings(LOG_MAX_BYTES_PER_PASS=20)
def test_stdout_past_the_cap_is_skipped_with_a_line_that_says_so(svc, mem):
    version, instance = running(svc, mem, Behaviour(logs=[f"output {n}" for n in range(10)]))
    logs.collect(mem, version, instance)
    got = sources(version)
    assert ("stdout", "output 0") in got and ("stdout", "output 9") not in got
    assert any(source == "platform" and "LOG_MAX_BYTES_PER_PASS (20 bytes)" in line
               for source, line in got)


@override_settings(LOG_LINE_MAX_CHARS=10)
def test_a_huge_line_is_cut(svc, mem):
    version, instance = running(svc, mem, Behaviour(logs=["x" * 50]))
    logs.collect(mem, version, instance)
    assert sources(version) == [("stdout", "x" * 10 + " [line cut at 10 characters]")]


@override_settings(LOG_MAX_BYTES_PER_DAY=30)
def test_past_the_daily_cap_nothing_more_is_stored_that_day(svc, mem):
    behaviour = Behaviour(logs=["a" * 10, "b" * 10])
    version, instance = running(svc, mem, behaviour)
    logs.collect(mem, version, instance)
    behaviour.logs += ["c" * 10, "d" * 10]
    logs.collect(mem, version, instance)
    behaviour.logs += ["e" * 10]
    logs.collect(mem, version, instance)
    lines = [line for _source, line in sources(version)]
    assert lines[:2] == ["a" * 10, "b" * 10]
    assert len(lines) == 3 and "LOG_MAX_BYTES_PER_DAY (30 bytes)" in lines[2]


def _tar(files: dict[str, bytes]) -> list[bytes]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    return [data[i:i + 1000] for i in range(0, len(data), 1000)]  # as the engine streams it


def test_the_archive_is_read_as_a_stream_keeping_only_each_files_tail():
    chunks = _tar({"app/a.log": b"0123456789" * 500, "app/b.log": b"short\n"})
    files = files_from_tar(ChunkReader(chunks), "/var/log", {"/var/log/app/b.log": 2}, 100)
    assert files["/var/log/app/a.log"].data == (b"0123456789" * 10)
    assert (files["/var/log/app/a.log"].start, files["/var/log/app/a.log"].size) == (4900, 5000)
    assert (files["/var/log/app/b.log"].data, files["/var/log/app/b.log"].start) == (b"ort\n", 2)


def test_a_log_stream_is_read_up_to_the_cap_at_a_lines_end():
    assert read_capped(iter([b"aaa\nbbb\n", b"ccc\n"]), 6) == (b"aaa\n", True)
    assert read_capped(iter([b"aaa\n", b"bbb\n"]), None) == (b"aaa\nbbb\n", False)
