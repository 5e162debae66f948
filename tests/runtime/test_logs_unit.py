"""Log collection: incremental, per source, kept after the instance, newest last."""
from datetime import timedelta

from django.utils import timezone

from hosting.models import LogEntry, Version
from hosting.orchestration import logs, observe, reconcile
from hosting.orchestration.logs import _after_cursor
from hosting.runtimes.base import LogLine
from hosting.runtimes.memory import Behaviour
from tests.base import deploy_now
from tests.runtime.conftest import new_version, publish

T0 = timezone.now().replace(microsecond=0)


def test_lines_sharing_a_second_are_stored_once():
    lines = [LogLine(T0, "stdout", "a"), LogLine(T0, "stdout", "b")]
    new, cursor = _after_cursor(lines, (None, 0))
    assert [x.text for x in new] == ["a", "b"] and cursor == (T0, 2)
    lines.append(LogLine(T0, "stdout", "c"))
    lines.append(LogLine(T0 + timedelta(seconds=1), "stdout", "d"))
    new, cursor = _after_cursor(lines, cursor)
    assert [x.text for x in new] == ["c", "d"] and cursor == (T0 + timedelta(seconds=1), 1)
    assert _after_cursor(lines, cursor) == ([], cursor)


def test_it_collects_stdout_and_files_once_and_keeps_them(svc, mem):
    behaviour = Behaviour(logs=["hello", "world"],
                          files={"/var/log/app/app.log": b"one\ntwo\npart"})
    publish(mem, svc, behaviour)
    version = new_version(svc, log_paths=["stdout", "/var/log/app"])
    deploy_now(version.pk)
    version = Version.objects.get(pk=version.pk)
    instance = version.instances.get()
    assert logs.collect(mem, version, instance) == 4
    assert logs.collect(mem, version, instance) == 0
    behaviour.files["/var/log/app/app.log"] += b"ial\nthree\n"
    behaviour.logs.append("again")
    observe.collect(everything=True)
    got = [(e.source, e.line) for e in logs.read_logs(version)]
    assert sorted(got) == sorted([
        ("stdout", "hello"), ("stdout", "world"), ("stdout", "again"),
        ("/var/log/app/app.log", "one"), ("/var/log/app/app.log", "two"),
        ("/var/log/app/app.log", "partial"), ("/var/log/app/app.log", "three")])
    Version.objects.filter(pk=version.pk).update(desired_instances=0)
    reconcile.converge(version.pk)
    assert not mem.instances
    assert len(logs.read_logs(version, instance_name=instance.name)) == 7


def test_read_logs_is_newest_last_with_a_tail_and_since(svc):
    version = new_version(svc)
    for n in range(5):
        LogEntry.objects.create(version=version, instance_name="i0", line=f"line {n}",
                                timestamp=T0 + timedelta(seconds=n))
    LogEntry.objects.create(version=version, instance_name="i1", line="other", timestamp=T0)
    assert [e.line for e in logs.read_logs(version, tail=2)] == ["line 3", "line 4"]
    assert [e.line for e in logs.read_logs(version, since=T0 + timedelta(seconds=3))] == [
        "line 3", "line 4"]
    assert len(logs.read_logs(version, instance_name="i0")) == 5


def test_old_lines_are_purged(svc, settings):
    settings.LOG_RETENTION_DAYS = 7
    version = new_version(svc)
    LogEntry.objects.create(version=version, instance_name="i0", line="old",
                            timestamp=timezone.now() - timedelta(days=8))
    LogEntry.objects.create(version=version, instance_name="i0", line="new")
    assert logs.purge_expired() == 1
    assert [e.line for e in logs.read_logs(version)] == ["new"]
