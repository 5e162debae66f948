"""Log collection: stdout/stderr and each configured log path, into LogEntry rows.

Collection is incremental: Instance.log_cursors remembers, per source, where the last
pass stopped (the engine's timestamp and how many lines carried it, for the streams; a
byte offset, for files), so a line is stored exactly once however often this runs. Rows
outlive their instance and are trimmed after settings.LOG_RETENTION_DAYS.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from hosting import rules
from hosting.models import Instance, LogEntry, Version
from hosting.runtimes import specs
from hosting.runtimes.base import LogLine, Runtime

STREAMS = ("stdout", "stderr")
PLATFORM = "platform"  # the source of the platform's own lines (what was dropped)


def collect(runtime: Runtime, version: Version, instance: Instance, final: bool = False) -> int:
    """Store the instance's new lines; `final` also takes a file's unterminated last line.
    Returns how many lines were stored."""
    # By the recorded id: a same-named container of someone else is never read.
    name = runtime.address(specs.container_name(instance.name), instance.container_id)
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
    entries = _within_daily_cap(version, instance, entries)
    with transaction.atomic():
        current = Instance.objects.select_for_update().filter(pk=instance.pk).first()
        if current is None or (current.log_cursors or {}) != before:
            return 0  # another pass collected meanwhile; the next one continues from there
        LogEntry.objects.bulk_create(entries)
        Instance.objects.filter(pk=instance.pk).update(log_cursors=cursors)
    instance.log_cursors = cursors
    return len(entries)


def dropped(version: Version, instance: Instance, text: str) -> LogEntry:
    """A line of the platform's own, in the log view where the dropped lines would be."""
    return LogEntry(version=version, instance_name=instance.name, source=PLATFORM,
                    timestamp=timezone.now(), line=text)


def _entry(version, instance, source: str, timestamp, text: str) -> LogEntry:
    limit = settings.LOG_LINE_MAX_CHARS
    if len(text) > limit:
        text = f"{text[:limit]} [line cut at {limit} characters]"
    return LogEntry(version=version, instance_name=instance.name, source=source[:255],
                    timestamp=timestamp, line=text)


def _within_daily_cap(version, instance, entries: list[LogEntry]) -> list[LogEntry]:
    """Count the bytes stored per version per UTC day (in the shared cache); past
    LOG_MAX_BYTES_PER_DAY nothing more is stored that day, and one line says so."""
    size = sum(len(entry.line) + 1 for entry in entries)
    if not size:
        return entries
    key = f"logbytes:{version.pk}:{timezone.now():%Y%m%d}"
    cache.add(key, 0, timeout=2 * 86400)
    total = cache.incr(key, size)
    cap = settings.LOG_MAX_BYTES_PER_DAY
    if total <= cap:
        return entries
    if total - size > cap:
        return []  # already said so today
    return [dropped(version, instance, f"Log lines dropped: this version stored more than "
                                       f"LOG_MAX_BYTES_PER_DAY ({cap} bytes) today (UTC); "
                                       f"collection resumes tomorrow.")]


def _collect_streams(runtime, version, instance, name, cursors) -> list[LogEntry]:
    starts = [_stream_cursor(cursors, s)[0] for s in STREAMS]
    since = min(starts) if all(starts) else None
    if since is None:  # never collected: no older than the retention window
        since = timezone.now() - timedelta(days=settings.LOG_RETENTION_DAYS)
    began = timezone.now()
    cap = settings.LOG_MAX_BYTES_PER_PASS
    lines = runtime.logs(name, since=since - timedelta(seconds=1), max_bytes=cap)
    entries = []
    for stream in STREAMS:
        new, cursor = _after_cursor([line for line in lines if line.stream == stream],
                                    _stream_cursor(cursors, stream))
        if cursor[0] is not None:
            cursors[stream] = [cursor[0].isoformat(), cursor[1]]
        entries += [_entry(version, instance, stream, line.timestamp, line.text) for line in new]
    if getattr(lines, "truncated", False):  # skip what this pass could not read
        for stream in STREAMS:
            cursors[stream] = [began.isoformat(), 0]
        entries.append(dropped(version, instance, f"Log lines dropped: more than "
                                                  f"LOG_MAX_BYTES_PER_PASS ({cap} bytes) of "
                                                  f"stdout/stderr arrived between two passes."))
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
    cap = settings.LOG_MAX_BYTES_PER_PASS
    offsets = {key: int(value) for key, value in cursors.items() if key.startswith("/")}
    for file_path, chunk in sorted(runtime.read_files(name, path, offsets, cap).items()):
        offset = int(cursors.get(file_path, 0))
        offset = 0 if chunk.size < offset else offset  # truncated or rotated: start over
        start, data = chunk.start, chunk.data
        if start > offset:  # more than the cap arrived: the runtime kept the newest bytes
            entries.append(dropped(version, instance, _skipped(file_path, start - offset, chunk.size)))
            cut = data.find(b"\n") + 1 if b"\n" in data else len(data)  # a partial line
            start, data = start + cut, data[cut:]
            cursors[file_path] = start
        if not final:
            data = data[: data.rfind(b"\n") + 1]  # wait for a line's end
        if not data:
            continue
        cursors[file_path] = start + len(data)
        for text in data.decode("utf-8", errors="replace").splitlines():
            entries.append(_entry(version, instance, file_path, now, text))
    return entries


def _skipped(file_path: str, count: int, size: int) -> str:
    scan = settings.LOG_MAX_FILE_SCAN_BYTES
    if size > scan:
        return (f"Log lines dropped: {count} bytes of {file_path}, a file larger than "
                f"LOG_MAX_FILE_SCAN_BYTES ({scan} bytes), which is not read.")
    return (f"Log lines dropped: {count} bytes of {file_path} beyond LOG_MAX_BYTES_PER_PASS "
            f"({settings.LOG_MAX_BYTES_PER_PASS} bytes).")


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
