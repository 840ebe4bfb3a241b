"""Race-free path resolution beneath a mounted folder, by directory file descriptors.

A check on a name (``realpath``, then ``open`` by name) can be beaten by swapping a folder for
a symlink between the two calls, from another process or from R itself. So nothing here ever
opens a path string: every walk starts from the drive root's directory fd and opens one
component at a time relative to the last fd, with ``O_NOFOLLOW | O_DIRECTORY``. A symlink met
on the way is read (``readlinkat``) and its target walked by the same rules, so ``..`` in a
target can only pop back to a directory this walk itself opened, and an absolute target must
lie under the root's own path. The result is (directory fd, final name): the caller acts on the
name with ``*at`` calls that never follow it (``O_NOFOLLOW`` opens, ``follow_symlinks=False``
stats, ``rename``/``unlink`` which never follow a last component), so a link swapped in after
the walk is acted on as a link, never followed out of the root. Linux's ``openat2`` with
``RESOLVE_BENEATH`` does the same in the kernel, but Python's stdlib does not expose it.

POSIX only (``dir_fd`` support); ``DriveFS`` refuses to start a drive where it is missing.
"""

from __future__ import annotations

import errno
import os
import stat

MAX_LINKS = 40  # symlinks followed in one walk, as Linux's own limit
O_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
SUPPORTED = os.open in os.supports_dir_fd and os.stat in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")


class OutsideError(PermissionError):
    """A symlink (or ``..`` in one) points outside the mounted folder."""

    def __init__(self) -> None:
        super().__init__(errno.EACCES, "outside the mounted folder")


class Resolved:
    """An open directory fd beneath the root plus the final name in it (``"."``: the directory).

    Use as a context manager; the fd is closed on exit. ``name`` was not a symlink when the
    walk ended (for a followed walk) — every use of it must still refuse to follow one."""

    __slots__ = ("dir_fd", "name")

    def __init__(self, dir_fd: int, name: str) -> None:
        self.dir_fd = dir_fd
        self.name = name

    def __enter__(self) -> Resolved:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.dir_fd >= 0:
            os.close(self.dir_fd)
            self.dir_fd = -1

    def lstat(self) -> os.stat_result:
        return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)


def split_target(target: str, root_path: str) -> list[str] | None:
    """Components of a link target, root-relative for an absolute one; None if it is outside."""
    if target.startswith("/"):
        root = root_path.rstrip("/")
        if target != root and not target.startswith(root + "/"):
            return None
        return [p for p in target[len(root):].split("/") if p not in ("", ".")]
    return [p for p in target.split("/") if p not in ("", ".")]


def resolve(root_fd: int, root_path: str, parts: list[str], *, follow_last: bool,
            hook: object = None) -> Resolved:
    """Walk ``parts`` from ``root_fd`` (not consumed) and return where the last part lives.

    ``follow_last``: a symlink as the last part is followed (get, lookup, getattr) or left as
    the name itself (rename, rmdir). A missing last part is fine (the caller may create it); a
    missing middle part raises FileNotFoundError; leaving the root raises OutsideError.
    ``hook(dir_fd, name)``, when given, runs between the walk and the return: tests use it to
    swap a folder for a symlink at the worst moment."""
    stack = [os.dup(root_fd)]
    todo = list(reversed(parts))  # a stack: the next part is todo[-1]
    links = 0
    try:
        while todo:
            part = todo.pop()
            last = not todo
            if part == "..":  # only from a link target: request paths never hold ".."
                if len(stack) == 1:
                    raise OutsideError
                os.close(stack.pop())
                continue
            if last and not follow_last:
                break_at = part
                break
            top = stack[-1]
            try:
                mode = os.stat(part, dir_fd=top, follow_symlinks=False).st_mode
            except FileNotFoundError:
                if last:
                    break_at = part
                    break
                raise
            if stat.S_ISLNK(mode):
                links += 1
                if links > MAX_LINKS:
                    raise OSError(errno.ELOOP, "too many levels of symbolic links")
                try:
                    target = os.readlink(part, dir_fd=top)
                except OSError as exc:
                    if exc.errno != errno.EINVAL:  # EINVAL: no longer a link; look again
                        raise
                    todo.append(part)
                    continue
                more = split_target(target, root_path)
                if more is None:
                    raise OutsideError
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                todo.extend(reversed(more))
                continue
            if last:
                break_at = part
                break
            try:
                fd = os.open(part, O_DIR, dir_fd=top)
            except OSError as exc:
                if exc.errno != errno.ELOOP:
                    raise
                links += 1  # swapped for a link since the stat: walk it as one
                if links > MAX_LINKS:
                    raise
                todo.append(part)
                continue
            stack.append(fd)
        else:
            break_at = "."
        result = Resolved(stack.pop(), break_at)
        if hook is not None:
            try:
                hook(result.dir_fd, result.name)  # type: ignore[operator]
            except BaseException:
                result.close()
                raise
        return result
    finally:
        for fd in stack:
            os.close(fd)
