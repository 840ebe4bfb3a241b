"""The persistent library as webR sees it: a manifest of its tree and its files, read-only.

R sees the host library (``<data dir>/library/R-4.6``) at ``R_LIBS_USER`` as an in-memory tree
of lazy files (resources/worker/lazy_library.js): the folders and file sizes come from
``manifest()``, and a file's bytes are fetched on first read from ``/<secret>/library/...``,
a read-only static mount of the library on the LocalServer (GET/HEAD only, symlinks resolved
and confined to the library, ``..`` refused: LocalServer's file serving). Nothing here writes.

Why a manifest and not a DRIVEFS mount: measured with bench/packages.py (library_ratio).

Only folders named like R packages are listed, and within them only regular files and
folders (no links, devices or FIFOs), so R never sees anything the installer wouldn't have
put there (``.work``, the stamp file and stray files are left out).
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

LIBRARY_PREFIX = "library"  # the static mount: /<secret>/library/<pkg>/<path>
LIBRARY_PATH = "api/library"  # POST {"op": "manifest", "packages"?: [names]} | {"op": "bundle", "package"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9.]*$")
MAX_FILES = 200_000  # per package: a tree bigger than this is not listed (a runaway folder)

Reply = tuple[int, str, bytes]


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name)) and not name.endswith(".") and len(name) <= 100


def package_manifest(folder: Path) -> dict[str, list] | None:
    """``{"dirs": [rel, ...], "files": [[rel, size], ...]}`` for one installed package (parents
    before children), or None when it isn't a package folder (no DESCRIPTION)."""
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode) or not stat.S_ISREG(os.lstat(folder / "DESCRIPTION").st_mode):
            return None  # a link (to a folder anywhere) is never a package here
    except OSError:
        return None
    dirs: list[str] = []
    files: list[list] = []
    stack = [("", str(folder))]
    while stack:
        rel, path = stack.pop()
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            sub = f"{rel}/{entry.name}" if rel else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                dirs.append(sub)
                stack.append((sub, entry.path))
            elif stat.S_ISREG(st.st_mode):
                files.append([sub, st.st_size])
            if len(files) + len(dirs) > MAX_FILES:
                return None
    dirs.sort(key=lambda d: d.count("/"))  # parents first
    return {"dirs": dirs, "files": files}


def manifest(root: Path, names: Iterable[str] | None = None) -> dict[str, object]:
    """The library's manifest: every package (``names`` None) or just ``names``, where a name
    no longer installed maps to None (R drops it)."""
    root = Path(root)
    full = names is None
    if names is None:
        try:
            names = sorted(e.name for e in os.scandir(root) if e.is_dir(follow_symlinks=False))
        except OSError:
            names = []
    packages: dict[str, object] = {}
    for name in names:
        if valid_name(name):
            packages[name] = package_manifest(root / name)
    if full:
        packages = {k: v for k, v in packages.items() if v is not None}
    return {"packages": packages}


BUNDLE_TOP = ("DESCRIPTION", "NAMESPACE")
BUNDLE_DIRS = ("Meta", "R")
MAX_BUNDLE = 64 * 1024 * 1024


def bundle(root: Path, name: str) -> bytes:
    """What ``library(name)`` reads, in one reply: DESCRIPTION, NAMESPACE, ``Meta/*`` and ``R/*``
    but the lazy-load database itself (``*.rdb``, read only when an object is used, and the
    bulk of a package: ``installed.packages()`` reads ``Meta/package.rds`` of every package and
    must not pull every database). Loading a package from lazy files costs one request per
    file (~5 per package); a bundle makes it one or two.

    Format: 4-byte big-endian length of a JSON header ``[[rel, size], ...]``, the header, then
    the files' bytes in header order. Only regular files directly inside the package folder
    (links are never followed); files that would pass ``MAX_BUNDLE`` are left for lazy reads.
    """
    folder = Path(root) / name
    if not valid_name(name) or not _real_dir(folder):
        return _pack([], [])
    wanted = [(rel, folder / rel) for rel in BUNDLE_TOP]
    for sub in BUNDLE_DIRS:
        if not _real_dir(folder / sub):
            continue
        try:
            entries = sorted(os.scandir(folder / sub), key=lambda e: e.name)
        except OSError:
            continue
        wanted += [(f"{sub}/{e.name}", Path(e.path)) for e in entries if not e.name.endswith(".rdb")]
    header: list[list] = []
    blobs: list[bytes] = []
    total = 0
    for rel, path in wanted:
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or total + st.st_size > MAX_BUNDLE:
                continue
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
            with open(fd, "rb") as f:
                data = f.read(MAX_BUNDLE - total + 1)
        except OSError:
            continue
        if total + len(data) > MAX_BUNDLE:
            continue
        header.append([rel, len(data)])
        blobs.append(data)
        total += len(data)
    return _pack(header, blobs)


def _real_dir(path: Path) -> bool:
    """A folder, not a link to one (links could lead out of the library)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _pack(header: list[list], blobs: list[bytes]) -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return len(head).to_bytes(4, "big") + head + b"".join(blobs)


class LibraryView:
    """``handle`` is a LocalServer handler for ``api/library`` (URL secret): manifests only."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _json({"error": "the request is not valid JSON"}, 400)
        op = request.get("op") if isinstance(request, dict) else None
        if op == "bundle":
            name = request.get("package")
            if not isinstance(name, str) or not valid_name(name):
                return _json({"error": "package must be a package name"}, 400)
            return 200, "application/octet-stream", bundle(self.root, name)
        if op != "manifest":
            return _json({"error": "op must be manifest or bundle"}, 400)
        names = request.get("packages")
        if names is not None and not (isinstance(names, list) and len(names) <= 5000
                                      and all(isinstance(n, str) and valid_name(n) for n in names)):
            return _json({"error": "packages must be a list of package names"}, 400)
        return _json(manifest(self.root, names))


def _json(value: object, status: int = 200) -> Reply:
    return status, "application/json", json.dumps(value, separators=(",", ":")).encode()
