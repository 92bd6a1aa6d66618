"""The server's private copy of the store: taken with the store's lock held for two ``fstat`` calls, not a query.

A writer (``talentflow ingest``) needs DuckDB's exclusive lock on the store file, which it asks for once and
without waiting; a reader holding DuckDB's shared lock while it computes (a panel fit holds it for minutes) made
every ingest in that time fail. So the server never computes on the store: it computes on a snapshot, a byte copy
of the store file in a folder of its own, and takes a new one when the store file changes.

Taking a snapshot (``Snapshots._take``):

1. under a shared lock on the store file (the lock DuckDB's own read-only open takes: an ``fcntl`` record lock
   over the whole file, so a writer that holds it makes this fail at once and the other way round), read the
   file's signature (inode, size, modification and change time, and the same of its write-ahead log) and let go;
2. copy the file (and its WAL, left there by a writer that was killed) without any lock;
3. take the shared lock again and read the signature again. Unchanged means no writer wrote while it was copied:
   any write changes the modification time, because step 1 waits until that time is older than the file
   system's clock granularity; changed means the copy is thrown away and taken again.

A snapshot is swapped in atomically (requests that began on the old one finish on it) and its file removed when
the last request using it ends. The lock is held for microseconds; the copy costs the time to copy the file
(in-kernel ``copy_file_range``, a reflink on file systems that have them).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import os
import shutil
import struct
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from talentflow.errors import StoreError
from talentflow.store import Store

#: A write after step 1 is seen only if the clock has ticked since the previous write: file times come from a
#: coarse clock (a jiffy, 1 to 10 ms), so the copy waits until the last write is at least this old.
SETTLE_S = 0.03
#: Copies tried before giving up for this request (a writer that writes while each is taken).
ATTEMPTS = 3

Signature = tuple[int, ...]


class StoreBusy(StoreError):
    """A writer holds the store: there is no snapshot yet to answer from."""


def _stat_sig(st: os.stat_result | None) -> Signature:
    if st is None:
        return (-1, -1, -1, -1)
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def signature(path: Path) -> Signature:
    """Changes whenever the store does: inode, size and times of the file and of its WAL."""
    return _stat_sig(_stat(path)) + _stat_sig(_stat(_wal(path)))


def _lock(fd: int, kind: int) -> bool:
    """An open-file-description lock over the whole file (never waits). Unlike a classic ``lockf`` lock,
    closing another descriptor of the file in this process does not drop it, and it does not drop DuckDB's."""
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", kind, os.SEEK_SET, 0, 0, 0))
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


@contextlib.contextmanager
def shared_lock(fd: int) -> Iterator[bool]:
    """Hold the store's shared lock, if no writer has it: yields whether it is held."""
    held = _lock(fd, fcntl.F_RDLCK)
    try:
        yield held
    finally:
        if held:
            _lock(fd, fcntl.F_UNLCK)


def _copy(src_fd: int, dst: Path) -> None:
    size = os.fstat(src_fd).st_size
    with open(dst, "wb") as out:
        offset = 0
        try:
            while offset < size:
                n = os.copy_file_range(src_fd, out.fileno(), size - offset, offset, offset)
                if n == 0:
                    break
                offset += n
        except OSError:  # an old kernel, or file systems it cannot copy between: copy through user space
            while True:
                chunk = os.pread(src_fd, 1 << 20, offset)
                if not chunk:
                    break
                out.write(chunk)
                offset += len(chunk)


@dataclass(eq=False)
class Snapshot:
    """One copy of the store, with the signature of the store it was taken from, and its users."""

    path: Path
    source: Signature
    taken: float
    #: Why this copy cannot be read as a store (the store file was replaced by something else), if so.
    error: StoreError | None = None
    users: int = 0
    retired: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def try_acquire(self) -> bool:
        """Count one more user, unless the snapshot was already replaced (its file may be gone)."""
        with self._lock:
            if self.retired:
                return False
            self.users += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.users -= 1
            remove = self.retired and self.users == 0
        if remove:
            self.remove()

    def retire(self) -> None:
        with self._lock:
            self.retired = True
            remove = self.users == 0
        if remove:
            self.remove()

    def remove(self) -> None:
        for p in (self.path, _wal(self.path)):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


class Snapshots:
    """The current snapshot of the store at ``store``, taken again when the store file changes."""

    def __init__(self, store: Path, folder: Path | None = None) -> None:
        self.store = store
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="talentflow-serve-", dir=folder))
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.folder, True)
        self._current: Snapshot | None = None
        self._refresh = threading.Lock()
        self._numbers = itertools.count(1)
        self._fd: int | None = None
        self._fd_ino = -1
        self.taken = 0  # snapshots taken, for tests and the status line

    @property
    def current(self) -> Snapshot | None:
        return self._current

    def fresh(self) -> Snapshot | None:
        """The current snapshot if the store has not changed since it was taken (two ``stat`` calls), else None."""
        snap = self._current
        return snap if snap is not None and snap.source == signature(self.store) else None

    def get(self) -> Snapshot:
        """A snapshot as of now: the current one, or a new one if the store changed and no writer is at work.

        While a writer holds the store, the previous snapshot answers (the store as it was before that write);
        with none yet, ``StoreBusy``."""
        snap = self.fresh()
        if snap is not None:
            return snap
        with self._refresh:
            snap = self.fresh()
            if snap is not None:
                return snap
            return self._renew()

    def _renew(self) -> Snapshot:
        old = self._current
        new = self._take()
        if new is None:
            if old is None:
                raise StoreBusy(f"{self.store.name} is being written by another process; try again in a moment")
            return old
        self._current = new
        if old is not None:
            old.retire()
        return new

    def _open(self) -> int:
        """A descriptor of the store file, kept open while the file stays the same: closing one would drop any
        classic lock this process holds on it (an in-process ingest's)."""
        try:
            st = self.store.stat()
        except FileNotFoundError:
            raise StoreError(f"{self.store.name}: no store here (it was moved or deleted)") from None
        if st.st_ino != self._fd_ino:
            fd = os.open(self.store, os.O_RDONLY | os.O_CLOEXEC)
            if self._fd is not None:
                os.close(self._fd)
            self._fd, self._fd_ino = fd, os.fstat(fd).st_ino
        assert self._fd is not None
        return self._fd

    def _locked_signature(self, fd: int) -> Signature | None:
        with shared_lock(fd) as held:
            return (_stat_sig(os.fstat(fd)) + _stat_sig(_stat(_wal(self.store)))) if held else None

    def _settled_signature(self, fd: int) -> Signature | None:
        """The signature under the lock, once the last write is older than the clock's granularity."""
        for _ in range(20):
            before = self._locked_signature(fd)
            if before is None:
                return None
            age = time.time() - max(before[2], before[3]) / 1e9
            if age >= SETTLE_S:
                return before
            time.sleep(SETTLE_S - age)
        return None

    def _take(self) -> Snapshot | None:
        """A new snapshot, or None when a writer holds the store (or kept writing while each copy was taken)."""
        for _ in range(ATTEMPTS):
            fd = self._open()
            before = self._settled_signature(fd)
            if before is None:
                return None
            dst = self.folder / f"snapshot-{next(self._numbers)}.duckdb"
            _copy(fd, dst)
            wal = _wal(self.store)
            if before[4] != -1:
                with contextlib.suppress(FileNotFoundError), open(wal, "rb") as w:
                    _copy(w.fileno(), _wal(dst))
            if self._locked_signature(fd) == before and signature(self.store) == before:
                self.taken += 1
                return Snapshot(dst, before, time.time(), error=_check(dst, self.store.name))
            Snapshot(dst, before, 0).remove()
        return None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._finalizer()


def _check(path: Path, name: str) -> StoreError | None:
    """Why the copy is not a store talentflow reads, if it is not."""
    try:
        with Store(path, read_only=True):
            return None
    except StoreError as exc:
        message = exc.message
    except Exception as exc:  # DuckDB's own errors on a file that is not a DuckDB database at all
        message = f"cannot open the store: {type(exc).__name__}: {exc}"
    # The message names the copy: it is about the store.
    return StoreError(message.replace(str(path), name))
