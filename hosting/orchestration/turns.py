"""Staggered turns: each item (an instance) gets its turn once per interval.

An item first seen by this process starts at a random point of the interval, so a
fleet's work spreads evenly over the ticks instead of landing on one. The memory is per
process and only a cache: losing it (a restart) costs one extra look, never a missed one.
"""
from __future__ import annotations

import random
import time


class Turns:
    def __init__(self) -> None:
        self.last: dict[int, float] = {}  # item id -> monotonic time of its last turn

    def came(self, key: int, interval: float) -> bool:
        now = time.monotonic()
        last = self.last.setdefault(key, now - random.uniform(0, interval))
        return now - last >= interval

    def took(self, key: int) -> None:
        self.last[key] = time.monotonic()
