"""DriveFS: host folders served to webR's DRIVEFS client (``POST /api/drive``).

webR 0.6.0 bundles JupyterLite's DriveFS: each file-system call in the worker becomes a
synchronous XHR whose JSON body is ``{"data": {"method", "path"[, "data"]},
"browsingContextId"}``. Paths look like ``drive:/sub/file`` (mount-relative, ``drive:`` for the
mount root). Our worker patch (resources/worker/drivefs_patch.js) replaces the client's
transport: it sends the secret in the ``X-WD-Secret`` header, so ``LocalServer`` refuses a
wrong one before reading a byte of the body (the stock body-secret form is accepted only for
bodies up to 64 KiB); it reads files in ranges, writes them raw to ``/api/drive/put``, asks
``writable`` when R opens a file for writing, and turns the ``errno`` of an error reply
(``{"error", "errno": "ENOSPC"}``) into the matching R message ("No space left on device").

Confinement: every path is walked from the drive root's directory fd, one ``O_NOFOLLOW``
component at a time (``drive_paths.resolve``), for every method; no path string is ever opened,
so swapping a folder for a symlink mid-request cannot lead outside. Symlinks inside the root
work; one that leads out is refused (403, EACCES). ``..``, empty parts, backslashes and NUL are
refused before the walk. POSIX only: where ``openat``/``O_NOFOLLOW`` are missing (Windows),
``add`` refuses to serve a folder rather than serve it unconfined.

Limits (memory per request is bounded, whatever the file size):
- Reading: a ranged ``get`` returns at most ``MAX_CHUNK`` (16 MiB) and the file's size in
  ``X-WD-Size``; the worker reads in 8 MiB ranges as R asks, so any size can be read. A
  whole-file ``get`` (the stock client) above ``MAX_WHOLE_GET`` (64 MiB) is refused (EFBIG).
- Writing: a new file or one opened with O_TRUNC ("w", "wb": nearly every R write) goes up
  in 8 MiB pieces as R writes it (drive_uploads), so its size is bounded by the disk, not by
  memory; it goes to a temporary file beside the target (``.~wd-*.tmp``), fsynced and renamed
  over the target only when complete: a full disk, a dropped connection or any other failure
  keeps the old contents and leaves no temporary file. A file opened to append ("a") is
  appended to in place in pieces, and a failed append is truncated back to the old length. A
  file opened to update ("r+"), or one R seeks back into, is held whole in the worker and
  sent at close (atomically, as above): at most ``MAX_PUT`` (1 GiB; R: "File too large"). A read-only file, folder or file system fails when R
  opens the file (an R error, as with R's own files); a full disk shows at close (or at the
  write that fills it), where R's own file code also warns ("Problem closing connection: No
  space left on device").
- FIFOs, devices and sockets are never listed and never opened for reading; a ``get`` of one
  (even one swapped in mid-request) fails at once (``O_NONBLOCK`` open, then ``fstat``).
- A replaced file keeps its permission bits but not its inode (hard links to it are split).
  If the app dies mid-write, a ``.~wd-*.tmp`` file may stay beside the target.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import json
import os
import stat
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote

from webr_desktop.server import drive_files, drive_paths
from webr_desktop.server.drive_files import O_NOFOLLOW, DriveError
from webr_desktop.server.drive_paths import O_DIR, OutsideError, Resolved
from webr_desktop.server.drive_uploads import Uploads

DRIVE_PATH = "/api/drive"  # webR posts to the server root, whatever its baseUrl
PUT_PATH = "/api/drive/put"  # the patched worker's raw, streamed put
SECRET_HEADER = "X-WD-Secret"
JSON = "application/json"
RAW = "application/octet-stream"
MAX_PATH = 4096  # characters of a drive path
MAX_JSON_BODY = 16 << 20  # a JSON request (a stock base64 put of a ~12 MB file at most)
MAX_CHUNK = 16 << 20  # bytes of one ranged get
MAX_WHOLE_GET = 64 << 20  # a whole-file get (stock client); larger: EFBIG
MAX_PUT = 1 << 30  # bytes of one put
DIR_MODE = 0o040777  # 16895: what DriveFS expects for a directory
FILE_MODE = 0o100666  # 33206: a regular file
S_IFMT = 0o170000
S_IFDIR = 0o040000
# errno names the worker patch maps to Emscripten's codes; anything else becomes EIO
ERRNOS = frozenset({
    "ENOENT", "EEXIST", "ENOTDIR", "EISDIR", "ENOTEMPTY", "EACCES", "EPERM", "EROFS", "ENOSPC",
    "EDQUOT", "EFBIG", "ELOOP", "ENAMETOOLONG", "EBUSY", "ETXTBSY", "EXDEV", "EINVAL", "EIO",
    "EMFILE", "EBADF",
})
STATUS = {"ENOENT": 404, "EACCES": 403, "EPERM": 403, "EROFS": 403, "EFBIG": 413, "ENOSPC": 507,
          "EDQUOT": 507, "EEXIST": 409, "ENOTDIR": 409, "EISDIR": 409, "ENOTEMPTY": 409}

Reply = tuple[int, str, bytes] | tuple[int, str, bytes, Mapping[str, str]]
Hook = Callable[[int, str], None]


class BodyReader(Protocol):
    """What ``LocalServer`` hands a streaming handler: ``length`` bytes to ``read`` in pieces."""

    length: int

    def read(self, n: int) -> bytes: ...


def _json(value: object, status: int = 200) -> Reply:
    return status, JSON, json.dumps(value, ensure_ascii=False).encode("utf-8")


def _error_reply(exc: BaseException) -> Reply:
    if isinstance(exc, DriveError):
        return _json({"error": str(exc), "errno": exc.code}, exc.status)
    if isinstance(exc, OutsideError):
        return _json({"error": "outside the mounted folder", "errno": "EACCES"}, 403)
    if isinstance(exc, OSError):
        code = errno.errorcode.get(exc.errno or 0, "EIO")
        code = code if code in ERRNOS else "EIO"
        return _json({"error": exc.strerror or "file system error", "errno": code}, STATUS.get(code, 400))
    return _json({"error": "bad request", "errno": "EINVAL"}, 400)


def _kind(mode: int) -> int | None:
    """DriveFS mode of a directory or regular file; None for anything else."""
    if stat.S_ISDIR(mode):
        return DIR_MODE
    return FILE_MODE if stat.S_ISREG(mode) else None  # never FIFOs, devices or sockets


def _int_arg(args: Mapping[str, object], key: str, upper: int) -> int:
    value = args.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= upper:
        raise DriveError(400, f"bad {key}")
    return value


class DriveFS:
    """Registry of mounted host folders, one drive name each, and the ``/api/drive`` handlers."""

    after_resolve: Hook | None = None  # tests only: runs between walking a path and using it

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drives: dict[str, tuple[str, int]] = {}  # name -> (resolved root, its dir fd)
        self._next = 1
        self._uploads = Uploads()

    # ---------------------------------------------------------------- registry
    def add(self, root: Path) -> str:
        """Serve the folder ``root``; returns its drive name (the same one for the same folder)."""
        if not drive_paths.SUPPORTED:
            raise OSError(errno.ENOSYS, "host folders need openat/O_NOFOLLOW (POSIX)")
        resolved = os.path.realpath(Path(root).expanduser())
        fd = os.open(resolved, O_DIR)  # NotADirectoryError for a file
        with self._lock:
            for name, (existing, _fd) in self._drives.items():
                if existing == resolved:
                    os.close(fd)
                    return name
            name = f"d{self._next}"
            self._next += 1
            self._drives[name] = (resolved, fd)
            return name

    def remove(self, name: str) -> None:
        """Stop serving a drive; its requests are refused from now on."""
        with self._lock:
            entry = self._drives.pop(name, None)
            if entry is not None:
                os.close(entry[1])  # requests in flight hold their own dup
        self._uploads.close(name)

    def roots(self) -> dict[str, Path]:
        """Drive name -> the resolved host folder it serves."""
        with self._lock:
            return {name: Path(root) for name, (root, _fd) in self._drives.items()}

    def close(self) -> None:
        for name in list(self.roots()):
            self.remove(name)

    # ---------------------------------------------------------------- handlers
    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        """JSON requests (``/api/drive``): one DriveFS call in, a JSON (or raw ``get``) reply out."""
        try:
            return self._dispatch(body)
        except (DriveError, OSError, ValueError) as exc:
            return _error_reply(exc)

    def handle_put(self, reader: BodyReader, headers: Mapping[str, str]) -> Reply:
        """Raw put (``/api/drive/put``): ``X-WD-Path`` names the file, the body is its bytes.
        With ``X-WD-Upload`` (``new`` or an id, ``X-WD-Offset``, ``X-WD-Final: 1`` on the last
        piece, ``X-WD-Abort: 1``, ``X-WD-Keep: 1``) the file comes in pieces: see drive_uploads."""
        try:
            path = unquote(headers.get("x-wd-path", ""), errors="strict")
            if reader.length > MAX_PUT:
                raise DriveError(413, "file too large for a mounted folder", "EFBIG")
            upload = headers.get("x-wd-upload")
            if upload is None:
                with self._resolve(path, entry=True) as res:
                    drive_files.write_atomic(res, reader.read, reader.length)
                return _json(None)
            drive = self._drive_of(path)
            final = headers.get("x-wd-final") == "1"
            if headers.get("x-wd-abort") == "1":
                self._uploads.abort(drive, upload)
                return _json(None)
            raw = headers.get("x-wd-offset", "")
            if not (raw.isascii() and raw.isdigit()):
                raise DriveError(400, "bad offset")
            offset = int(raw)  # must be the upload's size so far
            if upload == "new":  # X-WD-Keep: 1 starts from a copy of the file (R appends)
                keep = headers.get("x-wd-keep") == "1"
                upload = self._uploads.start(drive, self._resolve(path, entry=True), keep=keep)
            self._uploads.append(drive, upload, offset, reader.read, reader.length, final=final)
            return _json(None if final else {"upload": upload})
        except UnicodeDecodeError:
            return _error_reply(DriveError(400, "bad path"))
        except (DriveError, OSError) as exc:
            return _error_reply(exc)

    def _dispatch(self, body: bytes) -> Reply:
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise DriveError(400, "body is not JSON") from None
        data = request.get("data") if isinstance(request, dict) else None
        if not isinstance(data, dict):
            raise DriveError(400, "missing request data")
        method = data.get("method")
        handler = getattr(self, f"_do_{method}", None) if isinstance(method, str) and method.isalpha() else None
        if handler is None:
            raise DriveError(400, "unknown method")
        args = data.get("data")
        return handler(data.get("path"), args if isinstance(args, dict) else {})

    # ---------------------------------------------------------------- paths
    def _parts(self, path: object) -> tuple[str, list[str]]:
        """(drive name, components) of a drive path, refusing anything that is not plain."""
        if not isinstance(path, str) or not 0 < len(path) <= MAX_PATH:
            raise DriveError(400, "bad path")
        drive, sep, rel = path.partition(":")
        if not sep:
            raise DriveError(404, "unknown drive", "ENOENT")
        if "\x00" in rel or "\\" in rel or (rel and not rel.startswith("/")):
            raise DriveError(400, "bad path")
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            raise DriveError(400, "bad path") from None  # a lone surrogate from JSON
        parts = rel.split("/")[1:] if rel else []
        if parts and parts[-1] == "":
            parts.pop()  # a trailing slash
        if any(part in ("", ".", "..") for part in parts):
            raise DriveError(400, "bad path")
        return drive, parts

    def _resolve(self, path: object, *, follow_last: bool = True, entry: bool = False) -> Resolved:
        """Walk ``path`` beneath its drive's root; ``entry``: refuse the root itself."""
        drive, parts = self._parts(path)
        if entry and not parts:
            raise DriveError(400, "not allowed on the mounted folder itself", "EPERM")
        with self._lock:
            found = self._drives.get(drive)
            root_fd = os.dup(found[1]) if found else -1
        if found is None:
            raise DriveError(404, "unknown drive", "ENOENT")
        try:
            return drive_paths.resolve(root_fd, found[0], parts, follow_last=follow_last,
                                       hook=self.after_resolve)
        finally:
            os.close(root_fd)

    def _drive_of(self, path: object) -> str:
        return self._parts(path)[0]

    # ---------------------------------------------------------------- methods
    def _mode(self, path: object) -> int | None:
        try:
            with self._resolve(path) as res:
                return _kind(res.lstat().st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def _do_lookup(self, path: object, _args: dict) -> Reply:
        mode = self._mode(path)
        return _json({"ok": True, "mode": mode} if mode else {"ok": False})

    def _do_getmode(self, path: object, _args: dict) -> Reply:
        mode = self._mode(path)
        if mode is None:
            raise DriveError(404, "no such file or directory", "ENOENT")
        return _json(mode)

    def _do_readdir(self, path: object, _args: dict) -> Reply:
        names = []
        with self._resolve(path) as res:
            fd = os.open(res.name, O_DIR, dir_fd=res.dir_fd)
            try:
                entries = [(e.name, e.is_symlink(), e.is_dir(follow_symlinks=False) or e.is_file(follow_symlinks=False))
                           for e in os.scandir(fd)]
            finally:
                os.close(fd)
        base = path.rstrip("/") if isinstance(path, str) else ""
        for name, is_link, plain in entries:
            if is_link:
                try:
                    if self._mode(f"{base}/{name}") is None:
                        continue
                except (OSError, DriveError):
                    continue  # a link out of the root (or a loop) is not part of the drive
            elif not plain:
                continue
            names.append(name)
        return _json(names)

    def _do_mknod(self, path: object, args: dict) -> Reply:
        mode = args.get("mode")
        if not isinstance(mode, int) or isinstance(mode, bool):
            raise DriveError(400, "bad mode")
        with self._resolve(path, follow_last=False, entry=True) as res:
            if mode & S_IFMT == S_IFDIR:
                os.mkdir(res.name, 0o777, dir_fd=res.dir_fd)
            else:  # never truncate: the worker may not know the file exists yet
                flags = os.O_WRONLY | os.O_CREAT | O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
                os.close(os.open(res.name, flags, 0o666, dir_fd=res.dir_fd))
        return _json(None)

    def _do_rename(self, path: object, args: dict) -> Reply:
        new_path = args.get("newPath")
        if not isinstance(new_path, str):
            raise DriveError(400, "bad newPath")
        if self._drive_of(new_path) != self._drive_of(path):
            raise DriveError(400, "rename across drives", "EXDEV")
        with self._resolve(path, follow_last=False, entry=True) as src, \
                self._resolve(new_path, follow_last=False, entry=True) as dst:
            with contextlib.suppress(FileNotFoundError):
                if stat.S_ISLNK(dst.lstat().st_mode):
                    self._resolve(new_path).close()  # a link out of the root stays: OutsideError
            os.replace(src.name, dst.name, src_dir_fd=src.dir_fd, dst_dir_fd=dst.dir_fd)
        return _json(None)

    def _do_rmdir(self, path: object, _args: dict) -> Reply:
        with self._resolve(path, follow_last=False, entry=True) as res:
            if stat.S_ISDIR(res.lstat().st_mode):
                os.rmdir(res.name, dir_fd=res.dir_fd)
            else:
                os.unlink(res.name, dir_fd=res.dir_fd)
        return _json(None)

    def _do_getattr(self, path: object, _args: dict) -> Reply:
        with self._resolve(path) as res:
            st = res.lstat()
        ms = lambda t: max(1, int(t * 1000))  # noqa: E731 - DriveFS wants truthy times
        return _json({
            "dev": 1, "nlink": st.st_nlink, "uid": 0, "gid": 0, "rdev": 0, "size": st.st_size,
            "blksize": 4096, "blocks": (st.st_size + 511) // 512,
            "atime": ms(st.st_atime), "mtime": ms(st.st_mtime), "ctime": ms(st.st_ctime),
        })

    def _do_writable(self, path: object, _args: dict) -> Reply:
        """Asked when R opens a file for writing, so a read-only file or folder fails at open
        (an R error, as with R's own files), not at close when the bytes arrive."""
        with self._resolve(path, entry=True) as res:
            drive_files.check_writable(res)
        return _json(None)

    def _do_truncate(self, path: object, args: dict) -> Reply:
        size = _int_arg(args, "size", MAX_PUT)
        with self._resolve(path, entry=True) as res:
            fd = os.open(res.name, os.O_WRONLY | O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0), dir_fd=res.dir_fd)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise DriveError(400, "not a regular file")
                os.ftruncate(fd, size)
            finally:
                os.close(fd)
        return _json(None)

    def _do_get(self, path: object, args: dict) -> Reply:
        ranged = "offset" in args
        offset = _int_arg(args, "offset", 1 << 62) if ranged else 0
        length = _int_arg(args, "length", MAX_CHUNK) if ranged else MAX_WHOLE_GET
        upload = args.get("upload")
        if isinstance(upload, str) and ranged:  # bytes of a file being written, read back
            content = self._uploads.read(self._drive_of(path), upload, offset, length)
            return 200, RAW, content, {"X-WD-Size": str(offset + len(content))}
        try:
            with self._resolve(path) as res:
                got = drive_files.read_file(res, offset, length, whole=not ranged)
        except (FileNotFoundError, NotADirectoryError):
            return _json(None)  # DriveFS turns null into ENOENT
        if got is None:
            return _json(None)  # a directory
        content, size = got
        if ranged:
            return 200, RAW, content, {"X-WD-Size": str(size)}
        if args.get("format") == "raw":
            return 200, RAW, content
        # Built by hand: json.dumps over a 70 MB base64 string costs a copy and a scan.
        return 200, JSON, b'{"content":"' + base64.b64encode(content) + b'","format":"base64"}'

    def _do_put(self, path: object, args: dict) -> Reply:
        fmt, payload = args.get("format"), args.get("data")
        if not isinstance(payload, str):
            raise DriveError(400, "bad put")
        if fmt == "base64":
            try:
                content = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise DriveError(400, "bad base64") from None
        elif fmt in ("text", "json"):
            content = payload.encode("utf-8", "replace")
        else:
            raise DriveError(400, "bad format")
        view = memoryview(content)
        pos = 0

        def read(n: int) -> bytes:
            nonlocal pos
            chunk = bytes(view[pos:pos + n])
            pos += len(chunk)
            return chunk

        with self._resolve(path, entry=True) as res:
            drive_files.write_atomic(res, read, len(content))
        return _json(None)
