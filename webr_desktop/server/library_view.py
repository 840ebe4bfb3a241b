"""The persistent library as webR sees it: a manifest of its tree and its files, read-only.

R sees the host library (``<data dir>/library/R-4.6``) at ``R_LIBS_USER`` as an in-memory tree
of lazy files (resources/worker/lazy_library.js): the folders and file sizes come from
``manifest()``, and a file's bytes are fetched on first read from ``/<secret>/library/...``,
a read-only static mount of the library on the LocalServer (GET/HEAD only, symlinks resolved
and confined to the library, ``..`` refused: LocalServer's file serving). Nothing here writes.

Why a manifest and not a DRIVEFS mount (measured 2026-12-04, ``library(futile.logger);
library(R6)``, 5 packages, fresh R each, machine load ~17 on 2 cores, medians of 5):
DRIVEFS at R_LIBS_USER (exempt from eviction) took 260 requests and 2.5 s against 0.40 s from
webR's memory (6x), and needed a readlink patch first (DriveFS answers readlink with EPERM,
so normalizePath() and library() fail on a DRIVEFS library); lazy files one request each took
26 requests (~1.9x); with one bundle per package (below) 5-6 requests and
0.8-1.1x at the medians but ~2x at the best runs; with one bundle per dependency chain, 2
(bench/packages.py: library_ratio, library_requests).

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
LIBRARY_PATH = "api/library"  # POST {"op": "manifest", "packages"?} | {"op": "bundle", "package", "have"?}
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
SMALL_DATABASE = 128 * 1024  # an R/*.rdb this small comes with the bundle


def bundle(root: Path, name: str, have: Iterable[str] = ()) -> bytes:
    """What ``library(name)`` reads, for ``name`` and every package of the library it depends
    on (Depends, Imports, LinkingTo, recursively) but those in ``have`` (the worker has them),
    in one reply: DESCRIPTION, NAMESPACE, ``Meta/*`` and ``R/*``, the lazy-load database
    (``R/*.rdb``) only when small (a big one is the bulk of a package and is read only when an
    object is used; ``installed.packages()`` reads ``Meta/package.rds`` of every package and
    must not pull every big database). Loading from lazy files costs one request per file
    (~5 per package); this makes ``library()`` of a chain one request.

    Format: 4-byte big-endian length of a JSON header ``[["pkg/rel", size], ...]``, the
    header, then the files' bytes in header order. Only regular files inside real package
    folders (links are never followed); files past ``MAX_BUNDLE`` are left for lazy reads.
    """
    root = Path(root)
    header: list[list] = []
    blobs: list[bytes] = []
    total = 0
    for pkg in _with_dependencies(root, name, set(have) - {name}):
        for rel, path in _bundle_files(root / pkg):
            data = _read_regular(path, MAX_BUNDLE - total)
            if data is None:
                continue
            header.append([f"{pkg}/{rel}", len(data)])
            blobs.append(data)
            total += len(data)
    return _pack(header, blobs)


def _bundle_files(folder: Path) -> list[tuple[str, Path]]:
    wanted = [(rel, folder / rel) for rel in BUNDLE_TOP]
    for sub in BUNDLE_DIRS:
        if not _real_dir(folder / sub):
            continue
        try:
            entries = sorted(os.scandir(folder / sub), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            try:
                small = e.stat(follow_symlinks=False).st_size <= SMALL_DATABASE
            except OSError:
                continue
            if not e.name.endswith(".rdb") or small:
                wanted.append((f"{sub}/{e.name}", Path(e.path)))
    return wanted


def _read_regular(path: Path, room: int) -> bytes | None:
    """The bytes of a regular file (never through a link), or None if it isn't one or won't fit."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > room:
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as f:
            data = f.read(room + 1)
    except OSError:
        return None
    return data if len(data) <= room else None


def _with_dependencies(root: Path, name: str, have: set[str]) -> list[str]:
    """``name`` first, then the library's packages it needs, each once, none of ``have``."""
    order: list[str] = []
    seen = set(have)
    stack = [name]
    while stack:
        pkg = stack.pop()
        if pkg in seen or not valid_name(pkg) or not _real_dir(root / pkg):
            continue  # base packages and anything not installed here
        seen.add(pkg)
        order.append(pkg)
        stack.extend(reversed(_dependencies(root / pkg)))
    return order


def _dependencies(folder: Path) -> list[str]:
    data = _read_regular(folder / "DESCRIPTION", 1024 * 1024)
    if data is None:
        return []
    fields: dict[str, str] = {}
    key = ""
    for line in data.decode("utf-8", "replace").splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    names = []
    for field in ("Depends", "Imports", "LinkingTo"):
        for part in fields.get(field, "").split(","):
            dep = part.split("(", 1)[0].strip()
            if dep and dep != "R":
                names.append(dep)
    return names


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
            name, have = request.get("package"), request.get("have", [])
            if not isinstance(name, str) or not valid_name(name):
                return _json({"error": "package must be a package name"}, 400)
            if not (isinstance(have, list) and len(have) <= 10_000 and all(isinstance(h, str) for h in have)):
                return _json({"error": "have must be a list of package names"}, 400)
            return 200, "application/octet-stream", bundle(self.root, name, have)
        if op != "manifest":
            return _json({"error": "op must be manifest or bundle"}, 400)
        names = request.get("packages")
        if names is not None and not (isinstance(names, list) and len(names) <= 5000
                                      and all(isinstance(n, str) and valid_name(n) for n in names)):
            return _json({"error": "packages must be a list of package names"}, 400)
        return _json(manifest(self.root, names))


def _json(value: object, status: int = 200) -> Reply:
    return status, "application/json", json.dumps(value, separators=(",", ":")).encode()
