"""Streamed writes for DriveFS: a file R writes arrives in chunks, so neither the worker nor
the server ever holds all of it.

The patched worker (resources/worker/drivefs_patch.js) sends a file opened with O_TRUNC
("w", "wb") in ``UP_CHUNK`` pieces as R writes it: the first piece starts an upload (a
temporary file beside the target, as ``drive_files.write_atomic``), later ones append at their
offset, the last one (``X-WD-Final: 1``) fsyncs the file and renames it over the target. Until
then the target keeps its old contents; an upload that fails, is aborted or lies idle for
``IDLE_SECONDS`` is removed. A file opened to append ("a") is appended to in place, as POSIX
does (no copy of a big log per ``cat(append = TRUE)``), and a failed or aborted append is
truncated back to the old length. If R seeks back into a file it is writing, the worker reads
what it already sent back from the upload (``read``) and continues in memory.
"""

from __future__ import annotations

import os
import secrets
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from webr_desktop.server.drive_files import O_NOFOLLOW, TEMP_PREFIX, DriveError, check_writable, copy_body
from webr_desktop.server.drive_paths import Resolved

MAX_UPLOADS = 64  # open at once (each holds two fds)
IDLE_SECONDS = 600.0


@dataclass
class _Upload:
    drive: str
    res: Resolved  # the target's directory fd and name, held until finish or abort
    tmp: str
    fd: int
    written: int = 0
    orig: int = -1  # >= 0: appending in place to a file that was this long (undo: truncate)
    touched: float = field(default_factory=time.monotonic)
    busy: threading.Lock = field(default_factory=threading.Lock)


class Uploads:
    """The uploads in progress, by unguessable id; each is bound to the drive that started it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, _Upload] = {}

    def start(self, drive: str, res: Resolved, *, keep: bool = False) -> str:
        """Begin an upload to ``res`` (which it now owns); returns its id. ``keep`` (R appends,
        "a" mode): the bytes are appended to the file in place, as POSIX does, and a failure
        truncates it back to its old length (so the old contents stay, and nothing else)."""
        fd = -1
        try:
            self._expire()
            with self._lock:
                if len(self._open) >= MAX_UPLOADS:
                    raise DriveError(503, "too many files being written", "EMFILE")
            old = check_writable(res)
            if keep and old is not None:
                tmp, flags = "", os.O_RDWR | os.O_APPEND | O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
                fd = os.open(res.name, flags, dir_fd=res.dir_fd)
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):  # swapped since the check
                    raise DriveError(400, "not a regular file")
                written = orig = st.st_size
            else:
                tmp, written, orig = f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp", 0, -1
                fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | O_NOFOLLOW, 0o666, dir_fd=res.dir_fd)
                if old is not None:
                    os.fchmod(fd, stat.S_IMODE(old.st_mode))
        except BaseException:
            if fd >= 0:
                os.close(fd)
                if tmp:
                    try:
                        os.unlink(tmp, dir_fd=res.dir_fd)
                    except OSError:
                        pass
            res.close()
            raise
        upload_id = secrets.token_urlsafe(16)
        with self._lock:
            self._open[upload_id] = _Upload(drive, res, tmp, fd, written, orig)
        return upload_id

    def _take(self, drive: str, upload_id: str) -> _Upload:
        with self._lock:
            up = self._open.get(upload_id)
        if up is None or up.drive != drive:
            raise DriveError(404, "no such upload", "EBADF")
        if not up.busy.acquire(blocking=False):
            raise DriveError(409, "upload in use", "EBUSY")
        up.touched = time.monotonic()
        return up

    def append(self, drive: str, upload_id: str, offset: int, read: Callable[[int], bytes], size: int,
               *, final: bool) -> None:
        """Write ``size`` body bytes at ``offset`` (the end so far); ``final``: then publish."""
        up = self._take(drive, upload_id)
        try:
            if offset != up.written:
                raise DriveError(400, "upload out of order", "EINVAL")
            copy_body(up.fd, read, size)
            up.written += size
            if final:
                os.fsync(up.fd)
                os.close(up.fd)
                up.fd = -1
                if up.orig < 0:
                    os.replace(up.tmp, up.res.name, src_dir_fd=up.res.dir_fd, dst_dir_fd=up.res.dir_fd)
                self._drop(upload_id, unlink=False)
        except BaseException:
            self._drop(upload_id, unlink=True)  # a failed upload leaves the old file alone
            raise
        finally:
            up.busy.release()

    def read(self, drive: str, upload_id: str, offset: int, length: int) -> bytes:
        """Bytes already uploaded (the worker takes them back when R seeks into them)."""
        up = self._take(drive, upload_id)
        try:
            return os.pread(up.fd, max(0, min(length, up.written - offset)), offset)
        finally:
            up.busy.release()

    def abort(self, drive: str, upload_id: str) -> None:
        """Remove an upload; the target keeps its old contents."""
        self._take(drive, upload_id)  # never while a request is writing to it
        self._drop(upload_id, unlink=True)

    def close(self, drive: str | None = None) -> None:
        """Abort every upload (of ``drive``)."""
        with self._lock:
            ids = [i for i, up in self._open.items() if drive is None or up.drive == drive]
        for upload_id in ids:
            self._drop(upload_id, unlink=True)

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            stale = [i for i, up in self._open.items() if now - up.touched > IDLE_SECONDS and not up.busy.locked()]
        for upload_id in stale:
            self._drop(upload_id, unlink=True)

    def _drop(self, upload_id: str, *, unlink: bool) -> None:
        with self._lock:
            up = self._open.pop(upload_id, None)
        if up is None:
            return
        if up.fd >= 0:
            if unlink and up.orig >= 0:
                try:
                    os.ftruncate(up.fd, up.orig)  # an append that failed: back to the old length
                except OSError:
                    pass
            os.close(up.fd)
            up.fd = -1
        if unlink and up.orig < 0:
            try:
                os.unlink(up.tmp, dir_fd=up.res.dir_fd)
            except OSError:
                pass
        up.res.close()
