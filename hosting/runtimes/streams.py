"""Engine-neutral readers of what instances write: timestamped log streams and tar
archives of log files, both read with bounded memory. The local (Podman) and Kubernetes
backends hand them their engine's byte streams."""
from __future__ import annotations

import io
import os
import re
import tarfile
from datetime import datetime

from hosting.runtimes.base import FileChunk, LogLine

_FRACTION = re.compile(r"(\.\d{6})\d+")
MAX_LOG_FILE_BYTES = 16 * 1024 * 1024  # of one file in one read, when the caller sets no cap
MAX_LOG_FILES = 100  # files read from one log directory


def parse_time(value: str | None) -> datetime | None:
    """Engine timestamps (RFC 3339 with up to nanoseconds); the zero time is None."""
    if not value or value.startswith("0001-01-01"):
        return None
    try:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", value).replace("Z", "+00:00"))
    except ValueError:
        return None


def listening_ports_from_proc(text: str) -> list[int]:
    """Ports in LISTEN state (0A) from /proc/net/tcp{,6} text."""
    ports = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[3] == "0A" and ":" in parts[1]:
            try:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
            except ValueError:
                continue
    return sorted(ports)


class ChunkReader(io.RawIOBase):
    """A file over the engine's chunk iterator, so tarfile can stream it (mode "r|")."""

    def __init__(self, chunks):
        self._chunks, self._left = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            self._left = next(self._chunks, None)
            if self._left is None:
                self._left = b""
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size], self._left = self._left[:size], self._left[size:]
        return size


def files_from_tar(reader, parent: str, offsets: dict[str, int], cap: int,
                    scan: int | None = None) -> dict[str, FileChunk]:
    """Each file's wanted bytes. A member larger than `scan` is not read: it is reported
    as read to its end and the stream stops there (reading past it would mean reading
    it), so such a file belongs in a log path of its own."""
    files: dict[str, FileChunk] = {}
    with tarfile.open(fileobj=io.BufferedReader(reader, 1 << 16), mode="r|") as tar:
        for member in tar:
            if not member.isfile() or len(files) >= MAX_LOG_FILES:
                continue
            full = os.path.join(parent, member.name)
            if scan is not None and member.size > scan:
                files[full] = FileChunk(b"", member.size, member.size)
                break
            offset = offsets.get(full, 0)
            offset = 0 if member.size < offset else offset  # truncated or rotated
            start = max(offset, member.size - cap)  # more than the cap: keep the newest
            extracted = tar.extractfile(member)
            skip(extracted, start)
            files[full] = FileChunk(extracted.read(member.size - start), start, member.size)
    return files


def skip(stream, count: int, block: int = 1 << 16) -> None:
    """Read and forget `count` bytes (a tar stream cannot seek): memory stays one block."""
    while count > 0:
        got = len(stream.read(min(block, count)))
        if not got:
            return
        count -= got


def read_capped(chunks, max_bytes: int | None) -> tuple[bytes, bool]:
    """At most about max_bytes of a log stream, cut at a line's end; True when cut."""
    if isinstance(chunks, bytes):
        chunks = [chunks]
    parts, total = [], 0
    for chunk in chunks:
        parts.append(chunk)
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            if hasattr(chunks, "close"):
                chunks.close()
            data = b"".join(parts)[:max_bytes]
            return data[: data.rfind(b"\n") + 1], True
    return b"".join(parts), False

def parse_log_lines(raw: bytes, stream: str) -> list[LogLine]:
    lines = []
    for row in raw.decode("utf-8", errors="replace").splitlines():
        stamp, _, text = row.partition(" ")
        when = parse_time(stamp)
        if when is None:  # no timestamp: keep the line, stamped now
            when, text = datetime.now().astimezone(), row
        lines.append(LogLine(when, stream, text))
    return lines
