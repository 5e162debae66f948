"""Log collection: stdout/stderr and each configured log path, into LogEntry rows.

Collection is incremental: Instance.log_cursors remembers, per source, where the last
pass stopped (the engine's timestamp and how many lines carried it, for the streams; a
byte offset, for files), so a line is stored exactly once however often this runs. Rows
outlive their instance and are trimmed after settings.LOG_RETENTION_DAYS.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hosting import rules
from hosting.models import Instance, LogEntry, Version
from hosting.runtimes import specs
from hosting.runtimes.base import LogLine, Runtime

STREAMS = ("stdout", "stderr")


def collect(runtime: Runtime, version: Version, instance: Instance, final: bool = False) -> int:
    """Store the instance's new lines; `final` also takes a file's unterminated last line.
    Returns how many lines were stored."""
    name = specs.container_name(instance.name)
    before = dict(instance.log_cursors or {})
    cursors = dict(before)
    entries: list[LogEntry] = []
    paths = version.log_paths or [rules.STDOUT]
    if rules.STDOUT in paths:
        entries += _collect_streams(runtime, version, instance, name, cursors)
    for path in paths:
        if path != rules.STDOUT:
            entries += _collect_path(runtime, version, instance, name, path, cursors, final)
    if cursors == before:
        return 0
    with transaction.atomic():
        current = Instance.objects.select_for_update().filter(pk=instance.pk).first()
        if current is None or (current.log_cursors or {}) != before:
            return 0  # another pass collected meanwhile; the next one continues from there
        LogEntry.objects.bulk_create(entries)
        Instance.objects.filter(pk=instance.pk).update(log_cursors=cursors)
    instance.log_cursors = cursors
    return len(entries)


def _collect_streams(runtime, version, instance, name, cursors) -> list[LogEntry]:
    starts = [_stream_cursor(cursors, s)[0] for s in STREAMS]
    since = min(starts) if all(starts) else None
    if since is None:  # never collected: no older than the retention window
        since = timezone.now() - timedelta(days=settings.LOG_RETENTION_DAYS)
    lines = runtime.logs(name, since=since - timedelta(seconds=1))
    entries = []
    for stream in STREAMS:
        new, cursor = _after_cursor([line for line in lines if line.stream == stream],
                                    _stream_cursor(cursors, stream))
        if cursor[0] is not None:
            cursors[stream] = [cursor[0].isoformat(), cursor[1]]
        entries += [LogEntry(version=version, instance_name=instance.name, source=stream,
                             timestamp=line.timestamp, line=line.text) for line in new]
    return entries


def _stream_cursor(cursors: dict, stream: str) -> tuple[datetime | None, int]:
    value = cursors.get(stream)
    if not value:
        return None, 0
    return datetime.fromisoformat(value[0]), int(value[1])


def _after_cursor(lines: list[LogLine], cursor: tuple[datetime | None, int]):
    """Lines after the cursor, and the new cursor. Engine timestamps may have only second
    precision (Podman), so several lines share one: the cursor counts those seen."""
    at, seen = cursor
    new, same = [], 0
    for line in lines:
        if at is not None and line.timestamp < at:
            continue
        if at is not None and line.timestamp == at and same < seen:
            same += 1
            continue
        new.append(line)
    if not new:
        return [], (at, seen)
    last = new[-1].timestamp
    count = sum(1 for line in lines if line.timestamp == last)
    return new, (last, count)


def _collect_path(runtime, version, instance, name, path, cursors, final) -> list[LogEntry]:
    entries = []
    now = timezone.now()
    for file_path, data in sorted(runtime.read_files(name, path).items()):
        offset = int(cursors.get(file_path, 0))
        if len(data) < offset:  # truncated or rotated: start over
            offset = 0
        chunk = data[offset:]
        if not final:
            chunk = chunk[: chunk.rfind(b"\n") + 1]  # wait for a line's end
        if not chunk:
            continue
        cursors[file_path] = offset + len(chunk)
        for text in chunk.decode("utf-8", errors="replace").splitlines():
            entries.append(LogEntry(version=version, instance_name=instance.name,
                                    source=file_path[:255], timestamp=now, line=text))
    return entries


def read_logs(version: Version, instance_name: str | None = None, since: datetime | None = None,
              tail: int = 200) -> list[LogEntry]:
    """The version's stored lines (one instance's with `instance_name`), newest last."""
    rows = version.log_entries.all()
    if instance_name:
        rows = rows.filter(instance_name=instance_name)
    if since is not None:
        rows = rows.filter(timestamp__gte=since)
    return list(reversed(rows.order_by("-timestamp", "-id")[: max(0, tail)]))


def purge_expired() -> int:
    cutoff = timezone.now() - timedelta(days=settings.LOG_RETENTION_DAYS)
    deleted, _ = LogEntry.objects.filter(timestamp__lt=cutoff).delete()
    return deleted
