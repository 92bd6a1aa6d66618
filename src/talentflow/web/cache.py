"""Results kept between requests: an LRU bounded by the bytes its entries hold, not by their number.

Keys carry the signature of the store snapshot the answer was computed on (``web/_snapshot.py``), so an answer
computed before an ingest is never served after the server has taken a snapshot of the new store.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

#: 128 MiB of encoded answers (a month of one indicator by country is a few kB; a day-by-day answer at the row
#: limit tens of MB).
DEFAULT_BYTES = 128 * 1024 * 1024


def _one(value: object) -> int:
    return 1


class ResultCache:
    """A thread-safe LRU of computed results whose weights (``weigh(value)``, bytes) sum to at most ``capacity``.

    ``get(key, compute)`` returns ``(value, hit)``. Two requests for the same missing key compute it once: the
    second waits for the first (a lock per key), while requests for other keys go on. A value heavier than a
    quarter of the capacity is returned but not kept: one answer must not empty the cache of all the others.
    """

    def __init__(self, capacity: int = DEFAULT_BYTES, weigh: Callable[[Any], int] = _one) -> None:
        self.capacity = capacity
        self.weigh = weigh
        self.weight = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def peek(self, key: Hashable) -> tuple[bool, Any]:
        """``(True, value)`` for a cached key (counted as a hit), else ``(False, None)``."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return True, self._items[key][0]
        return False, None

    def get(self, key: Hashable, compute: Callable[[], T]) -> tuple[T, bool]:
        found, value = self.peek(key)
        if found:
            return value, True
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        try:
            with key_lock:
                found, value = self.peek(key)  # computed by a request we waited for
                if found:
                    return value, True
                value = compute()  # an exception is not cached: the next request tries again
                self._put(key, value)
                return value, False
        finally:
            with self._lock:
                self._computing.pop(key, None)

    def _put(self, key: Hashable, value: Any) -> None:
        weight = self.weigh(value)
        with self._lock:
            self.misses += 1
            if weight * 4 > self.capacity:
                return
            self._items[key] = (value, weight)
            self.weight += weight
            while self.weight > self.capacity:
                _, (_, w) = self._items.popitem(last=False)
                self.weight -= w

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.weight = 0
