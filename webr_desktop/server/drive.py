"""DriveFS: host folders served to webR's DRIVEFS client (``POST /api/drive``).

webR 0.6.0 bundles JupyterLite's DriveFS: each file-system call in the worker becomes a
synchronous XHR whose JSON body is ``{"data": {"method", "path"[, "data"]},
"browsingContextId"}`` (the secret, checked by ``LocalServer``). Paths look like
``drive:/sub/file`` (mount-relative, ``drive:`` for the mount root). Two client facts drive
the rules here (webR's ``src/webR/mount.ts`` + @jupyterlite/contents ``drivefs.ts``):

- any status >= 400 becomes EINVAL in R, but a 2xx body that is not JSON makes
  ``JSON.parse`` throw inside the file system and aborts R uncatchably: every reply is JSON;
- ``get`` must always answer base64 (the ``text`` format re-encodes bytes and corrupts binary
  files on the next ``put``).

Every path is confined to its drive's root: ``..``, ``.``, empty parts, backslashes, NUL and
over-long paths are refused before the file system is touched, and every existing path (and
the parent of one being created) is resolved with symlinks followed and must stay inside the
root. Our worker patch (resources/worker/drivefs_patch.js) may ask ``get`` for
``{"format": "raw"}``: the bytes come back unencoded, which saves base64 on both sides.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
import threading
from collections.abc import Mapping
from pathlib import Path

DRIVE_PATH = "/api/drive"  # webR posts to the server root, whatever its baseUrl
JSON = "application/json"
RAW = "application/octet-stream"
MAX_PATH = 4096  # characters of a drive path
DIR_MODE = 0o040777  # 16895: what DriveFS expects for a directory
FILE_MODE = 0o100666  # 33206: a regular file
S_IFMT = 0o170000
S_IFDIR = 0o040000

Reply = tuple[int, str, bytes]


class DriveError(Exception):
    """A refused request: answered with ``status`` and a JSON error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _json(value: object, status: int = 200) -> Reply:
    return status, JSON, json.dumps(value, ensure_ascii=False).encode("utf-8")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class DriveFS:
    """Registry of mounted host folders, one drive name each, and the ``/api/drive`` handler."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drives: dict[str, str] = {}  # name -> resolved root (str: cheap prefix checks)
        self._next = 1

    # ---------------------------------------------------------------- registry
    def add(self, root: Path) -> str:
        """Serve the folder ``root``; returns its drive name (the same one for the same folder)."""
        resolved = os.path.realpath(Path(root).expanduser())
        if not os.path.isdir(resolved):
            raise NotADirectoryError(str(root))
        with self._lock:
            for name, existing in self._drives.items():
                if existing == resolved:
                    return name
            name = f"d{self._next}"
            self._next += 1
            self._drives[name] = resolved
            return name

    def remove(self, name: str) -> None:
        """Stop serving a drive; its requests are refused from now on."""
        with self._lock:
            self._drives.pop(name, None)

    def roots(self) -> dict[str, Path]:
        """Drive name -> the resolved host folder it serves."""
        with self._lock:
            return {name: Path(root) for name, root in self._drives.items()}

    # ---------------------------------------------------------------- handler
    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        """``LocalServer`` handler: one DriveFS request in, a JSON (or raw ``get``) reply out."""
        try:
            return self._dispatch(body)
        except DriveError as exc:
            return _json({"error": str(exc)}, exc.status)
        except FileNotFoundError:
            return _json({"error": "no such file or directory"}, 404)
        except (IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
            return _json({"error": exc.strerror or "wrong file type"}, 409)
        except PermissionError:
            return _json({"error": "permission denied"}, 403)
        except OSError as exc:
            return _json({"error": exc.strerror or "file system error"}, 400)
        except ValueError:
            return _json({"error": "bad request"}, 400)

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
        return handler(self._locate(data.get("path")), args if isinstance(args, dict) else {})

    def _locate(self, path: object) -> tuple[str, str, str]:
        """(root, entry, real) for a drive path: the entry itself (its last part unresolved,
        so rename/rmdir act on a link, not on what it points to) and its resolved target."""
        if not isinstance(path, str) or not 0 < len(path) <= MAX_PATH:
            raise DriveError(400, "bad path")
        drive, sep, rel = path.partition(":")
        with self._lock:
            root = self._drives.get(drive) if sep else None
        if root is None:
            raise DriveError(404, "unknown drive")
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
        if os.name == "nt" and any(":" in part for part in parts):
            raise DriveError(400, "bad path")  # drive letters and alternate data streams
        if not parts:
            return root, root, root
        parent = os.path.realpath(os.path.join(root, *parts[:-1]))
        if not _inside(parent, root):
            raise DriveError(403, "outside the mounted folder")
        entry = os.path.join(parent, parts[-1])
        real = os.path.realpath(entry)
        if not _inside(real, root):
            raise DriveError(403, "outside the mounted folder")
        return root, entry, real

    # ---------------------------------------------------------------- methods
    @staticmethod
    def _kind(real: str) -> int | None:
        """DriveFS mode of a directory or regular file; None for anything else or missing."""
        try:
            mode = os.stat(real).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISDIR(mode):
            return DIR_MODE
        return FILE_MODE if stat.S_ISREG(mode) else None  # never FIFOs or devices

    def _do_lookup(self, loc: tuple[str, str, str], _args: dict) -> Reply:
        mode = self._kind(loc[2])
        return _json({"ok": True, "mode": mode} if mode else {"ok": False})

    def _do_getmode(self, loc: tuple[str, str, str], _args: dict) -> Reply:
        mode = self._kind(loc[2])
        if mode is None:
            raise DriveError(404, "no such file or directory")
        return _json(mode)

    def _do_readdir(self, loc: tuple[str, str, str], _args: dict) -> Reply:
        root, _entry, real = loc
        names = []
        with os.scandir(real) as it:
            for item in it:
                if item.is_symlink():
                    target = os.path.realpath(item.path)
                    if not _inside(target, root) or self._kind(target) is None:
                        continue  # a link out of the root is not part of the drive
                elif not (item.is_dir(follow_symlinks=False) or item.is_file(follow_symlinks=False)):
                    continue
                names.append(item.name)
        return _json(names)

    def _do_mknod(self, loc: tuple[str, str, str], args: dict) -> Reply:
        root, entry, _real = loc
        mode = args.get("mode")
        if not isinstance(mode, int) or isinstance(mode, bool):
            raise DriveError(400, "bad mode")
        if entry == root:
            raise DriveError(409, "exists")
        if mode & S_IFMT == S_IFDIR:
            os.mkdir(entry)
        else:  # never truncate: the worker may not know the file exists yet
            os.close(os.open(entry, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666))
        return _json(None)

    def _do_rename(self, loc: tuple[str, str, str], args: dict) -> Reply:
        root, entry, _real = loc
        new_path = args.get("newPath")
        if not isinstance(new_path, str):
            raise DriveError(400, "bad newPath")
        new_root, new_entry, _ = self._locate(new_path)
        if new_root != root:
            raise DriveError(400, "rename across drives")
        if root in (entry, new_entry):
            raise DriveError(400, "cannot rename the mounted folder")
        os.replace(entry, new_entry)
        return _json(None)

    def _do_rmdir(self, loc: tuple[str, str, str], _args: dict) -> Reply:
        root, entry, _real = loc
        if entry == root:
            raise DriveError(400, "cannot remove the mounted folder")
        if os.path.isdir(entry) and not os.path.islink(entry):
            os.rmdir(entry)
        else:
            os.unlink(entry)
        return _json(None)

    def _do_get(self, loc: tuple[str, str, str], args: dict) -> Reply:
        real = loc[2]
        if self._kind(real) != FILE_MODE:
            return _json(None)  # DriveFS turns null into ENOENT
        with open(real, "rb") as f:
            content = f.read()
        if args.get("format") == "raw":
            return 200, RAW, content
        # Built by hand: json.dumps over a 70 MB base64 string costs a copy and a scan.
        return 200, JSON, b'{"content":"' + base64.b64encode(content) + b'","format":"base64"}'

    def _do_put(self, loc: tuple[str, str, str], args: dict) -> Reply:
        root, entry, real = loc
        fmt, payload = args.get("format"), args.get("data")
        if not isinstance(payload, str) or entry == root:
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
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(real, flags, 0o666)  # the resolved target: a link inside the root writes through
        with open(fd, "wb", closefd=True) as f:
            f.write(content)
        return _json(None)

    def _do_getattr(self, loc: tuple[str, str, str], _args: dict) -> Reply:
        st = os.stat(loc[2])
        ms = lambda t: max(1, int(t * 1000))  # noqa: E731 - DriveFS wants truthy times
        return _json({
            "dev": 1, "nlink": st.st_nlink, "uid": 0, "gid": 0, "rdev": 0, "size": st.st_size,
            "blksize": 4096, "blocks": (st.st_size + 511) // 512,
            "atime": ms(st.st_atime), "mtime": ms(st.st_mtime), "ctime": ms(st.st_ctime),
        })
