"""Results kept between requests: an LRU keyed by the normalised request and the store file's signature.

The signature is the size and modification time of the store file (and of its write-ahead log, when there is
one), so a store changed by ``talentflow ingest`` while the server runs is read again, never served stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_SIZE = 256


def signature(path: Path) -> tuple[int, ...]:
    """Changes whenever the store does: size and mtime (ns) of the file and of its WAL, if any."""
    out: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
        except FileNotFoundError:
            out += [-1, -1]
        else:
            out += [st.st_size, st.st_mtime_ns]
    return tuple(out)


class ResultCache:
    """A thread-safe LRU of computed results.

    ``get(key, compute)`` returns ``(value, hit)``. Two requests for the same missing key compute it once: the
    second waits for the first (a lock per key), while requests for other keys go on.
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
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
                return True, self._items[key]
        return False, None

    def get(self, key: Hashable, compute: Callable[[], T]) -> tuple[T, bool]:
        found, value = self.peek(key)
        if found:
            return value, True
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            found, value = self.peek(key)  # computed by a request we waited for
            if found:
                return value, True
            value = compute()  # an exception is not cached: the next request tries again
            with self._lock:
                self.misses += 1
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._computing.pop(key, None)
            return value, False

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
