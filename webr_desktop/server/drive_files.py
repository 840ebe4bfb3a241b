"""File contents for DriveFS: ranged reads that never open a special file, and atomic writes.

Every function takes a ``Resolved`` (a directory fd beneath the drive root plus a name, from
``drive_paths.resolve``) and never follows a symlink at that name, so a swap after the walk
cannot redirect it (see drive_paths). Memory per call is bounded by the chunk sizes, not by
the file: a read returns at most the asked range, a write streams ``IO_CHUNK`` at a time.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable

from webr_desktop.server.drive_paths import Resolved

IO_CHUNK = 1 << 20  # bytes per write() while streaming a put
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the check must not block
TEMP_PREFIX = ".~wd-"


class DriveError(Exception):
    """A refused request: answered with ``status`` and a JSON error body naming ``code``."""

    def __init__(self, status: int, message: str, code: str = "EINVAL") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def read_file(res: Resolved, offset: int, length: int, *, whole: bool) -> tuple[bytes, int] | None:
    """(bytes, file size) of ``length`` bytes at ``offset``; None for a directory. ``whole``:
    the caller wants the entire file, refused with EFBIG if it is longer than ``length``."""
    mode = res.lstat().st_mode
    if stat.S_ISDIR(mode):
        return None
    if not stat.S_ISREG(mode):  # a FIFO or device is never opened
        raise DriveError(400, "not a regular file")
    fd = os.open(res.name, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK, dir_fd=res.dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped since the lstat
            raise DriveError(400, "not a regular file")
        if whole and st.st_size > length:
            raise DriveError(413, "file too large to read whole", "EFBIG")
        want = min(length, st.st_size - offset) if offset < st.st_size else 0
        return (os.pread(fd, want, offset) if want > 0 else b""), st.st_size
    finally:
        os.close(fd)


def check_writable(res: Resolved) -> os.stat_result | None:
    """The target's stat (None if it does not exist yet) after proving it can be replaced:
    a read-only file, folder or file system fails here with its own errno."""
    if res.name == ".":
        raise DriveError(409, "is a directory", "EISDIR")
    try:
        old = res.lstat()
    except FileNotFoundError:
        old = None
    if old is not None:
        if stat.S_ISDIR(old.st_mode):
            raise DriveError(409, "is a directory", "EISDIR")
        if not stat.S_ISREG(old.st_mode):
            raise DriveError(400, "not a regular file")
        # The rename would replace a read-only file: ask the file system first.
        os.close(os.open(res.name, os.O_WRONLY | O_NOFOLLOW | O_NONBLOCK, dir_fd=res.dir_fd))
    if not os.access(".", os.W_OK, dir_fd=res.dir_fd):
        if os.fstatvfs(res.dir_fd).f_flag & getattr(os, "ST_RDONLY", 1):
            raise DriveError(403, "read-only file system", "EROFS")
        raise DriveError(403, "the folder is not writable", "EACCES")
    return old


def copy_body(fd: int, read: Callable[[int], bytes], size: int) -> None:
    """Write ``size`` bytes from ``read`` to ``fd``, ``IO_CHUNK`` at a time."""
    left = size
    while left:
        chunk = read(min(IO_CHUNK, left))
        if not chunk:
            raise DriveError(400, "body ended early", "EIO")
        left -= len(chunk)
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]


def write_atomic(res: Resolved, read: Callable[[int], bytes], size: int) -> None:
    """Write ``size`` bytes from ``read`` to a temporary file beside the target, fsync it and
    rename it over the target: a reader never sees half a file, and any failure (full disk,
    a body that ends early) removes the temporary file and keeps the old contents."""
    old = check_writable(res)
    tmp = f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW, 0o666, dir_fd=res.dir_fd)
    try:
        try:
            if old is not None:
                os.fchmod(fd, stat.S_IMODE(old.st_mode))
            copy_body(fd, read, size)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, res.name, src_dir_fd=res.dir_fd, dst_dir_fd=res.dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=res.dir_fd)
        except OSError:
            pass
        raise
