"""The persistent host library: installs that either happen whole or leave it untouched.

A package is unpacked into a staging folder beside the library (``<library>/../.work``, same
file system, never inside the tree R reads), checked there, and moved in with ``os.rename``; an
older version is first renamed aside and deleted only after the new one is in place, and put
back if that fails; the packages of one plan move in together and are taken back out if any
rename fails. So a failed install leaves the library byte-for-byte as it was (a killed one
leaves every package whole: the next lock holder puts back what was set aside). One install or removal runs at a time: a lock per library within this process, and a
file lock (``fcntl``, POSIX) between processes (the app and ``webr-desktop packages``).
A stamp file records the webR and R versions the library was made for.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from webr_desktop.core.atomic_file import write_atomic
from webr_desktop.core.packages import archive, versions
from webr_desktop.core.packages.errors import DiskFullError, PackageError
from webr_desktop.core.packages.model import BINARY

try:
    import fcntl
except ImportError:  # Windows: the in-process lock only
    fcntl = None  # type: ignore[assignment]

STAMP_FILE = ".webr-desktop.json"
SOURCE_FIELD = "WebRDesktopSource"
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class InstalledPackage:
    name: str
    version: str
    title: str
    source: str
    path: Path

    def as_json(self) -> dict[str, object]:
        return {"package": self.name, "version": self.version, "title": self.title,
                "source": self.source, "path": str(self.path)}


@dataclass(frozen=True)
class Prepared:
    """A checked package folder in staging, ready to be renamed into the library."""

    folder: Path
    package: InstalledPackage


class Library:
    """A library folder like ``<data>/library/R-4.6``; see the module docstring."""

    def __init__(self, root: Path, *, webr_version: str | None = None, r_version: str = "4.6.0") -> None:
        self.root = Path(root)
        self.work = self.root.parent / ".work"
        self.webr_version = webr_version
        self.r_version = r_version
        with _LOCKS_GUARD:
            self._lock = _LOCKS.setdefault(self.root.resolve(), threading.Lock())

    # ---- reading -------------------------------------------------------------------------
    def stamp(self) -> dict[str, object] | None:
        try:
            return json.loads((self.root / STAMP_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def installed(self) -> list[InstalledPackage]:
        """Packages in the library by name (folders with a readable DESCRIPTION)."""
        out = []
        if not self.root.is_dir():
            return out
        for folder in sorted(self.root.iterdir(), key=lambda p: p.name.lower()):
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            try:
                record = archive.read_description(folder)
            except PackageError:
                continue
            out.append(InstalledPackage(
                folder.name, record.get("Version", ""), " ".join(record.get("Title", "").split()),
                record.get(SOURCE_FIELD) or record.get("Repository", ""), folder,
            ))
        return out

    def versions(self) -> dict[str, str]:
        return {p.name: p.version for p in self.installed()}

    # ---- the queue -----------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the install queue; ``on_wait`` is called once if another install runs now."""
        if not self._lock.acquire(blocking=False):
            if on_wait is not None:
                on_wait()
            self._lock.acquire()
        try:
            self.work.mkdir(parents=True, exist_ok=True)
            with open(self.work / ".lock", "a+b") as handle:
                if fcntl is not None:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    self._ensure()
                    yield
                finally:
                    if fcntl is not None:
                        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def _ensure(self) -> None:
        """Create the library and its stamp, and finish what a killed install left behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        for leftover in self.work.iterdir():
            if leftover.name.startswith("aside-"):
                for old in leftover.iterdir():  # killed between the two renames: put it back
                    if not (self.root / old.name).exists():
                        os.rename(old, self.root / old.name)
            if leftover.name.startswith("build-") and time.time() - leftover.stat().st_mtime < 86400:
                continue  # a source build R is working on (core.packages.staging)
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
        stamp = self.stamp() or {}
        want = {"format": 1, "r_version": self.r_version, "webr_version": self.webr_version}
        if any(stamp.get(k) != v for k, v in want.items() if v is not None):
            write_atomic(self.root / STAMP_FILE, json.dumps({**stamp, **want, "updated": time.time()}) + "\n")

    def staging(self) -> Path:
        """A new empty folder on the library's file system; call while holding ``locked``."""
        try:
            return Path(tempfile.mkdtemp(prefix="staging-", dir=self.work))
        except OSError as exc:
            if exc.errno in archive.NO_SPACE:
                raise DiskFullError(f"no disk space left in {self.work}; the library is unchanged") from None
            raise

    # ---- changing ------------------------------------------------------------------------
    def install_archive(self, path: Path, *, name: str, version: str | None, source: str,
                        kind: str = BINARY, limits: archive.Limits = archive.Limits()) -> InstalledPackage:
        """Unpack, check and move in one binary archive; call while holding ``locked``."""
        staging = self.staging()
        try:
            folder = archive.unpack(path, staging, name=name, limits=limits)
            return self.commit(folder, name=name, version=version, source=source, kind=kind)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def prepare(self, folder: Path, *, name: str, version: str | None, source: str,
                kind: str = BINARY) -> Prepared:
        """Check a package folder on the library's file system (unpacked archive, or a tree R
        built) and note its source in its DESCRIPTION; nothing in the library changes."""
        if not versions.valid_name(name):
            raise PackageError(f"{name!r} is not a valid package name")
        archive.check_tree_safe(folder)
        record = archive.check_package(folder, name=name, version=version, kind=kind)
        try:
            with open(folder / "DESCRIPTION", "a", encoding="utf-8") as handle:
                handle.write(f"{SOURCE_FIELD}: {' '.join(source.split())}\n")
        except OSError as exc:
            if exc.errno in archive.NO_SPACE:
                raise DiskFullError(f"no disk space left to install '{name}'; the library is unchanged") from None
            raise
        return Prepared(folder, InstalledPackage(name, record.get("Version", ""),
                                                 " ".join(record.get("Title", "").split()), source, self.root / name))

    def commit_all(self, prepared: list[Prepared]) -> list[InstalledPackage]:
        """Rename every prepared package into place, old versions aside first; if any rename
        fails, the ones already done are undone, so the plan lands whole or not at all."""
        aside = Path(tempfile.mkdtemp(prefix="aside-", dir=self.work))
        done: list[tuple[Prepared, bool]] = []
        try:
            for item in prepared:
                target = item.package.path
                had_old = target.exists()
                if had_old:
                    os.rename(target, aside / item.package.name)
                try:
                    os.rename(item.folder, target)
                except BaseException:
                    if had_old:
                        os.rename(aside / item.package.name, target)
                    raise
                done.append((item, had_old))
        except BaseException:
            for item, had_old in reversed(done):
                os.rename(item.package.path, item.folder)
                if had_old:
                    os.rename(aside / item.package.name, item.package.path)
            raise
        finally:
            shutil.rmtree(aside, ignore_errors=True)
        return [item.package for item in prepared]

    def commit(self, folder: Path, *, name: str, version: str | None, source: str,
               kind: str = BINARY) -> InstalledPackage:
        """``prepare`` then ``commit_all`` for one package; call while holding ``locked``."""
        return self.commit_all([self.prepare(folder, name=name, version=version, source=source, kind=kind)])[0]

    def remove(self, name: str) -> bool:
        """Remove one package (False if it isn't here); call while holding ``locked``."""
        target = self.root / name
        if not versions.valid_name(name) or not (target / "DESCRIPTION").is_file():
            return False
        trash = Path(tempfile.mkdtemp(prefix="remove-", dir=self.work))
        os.rename(target, trash / name)
        shutil.rmtree(trash, ignore_errors=True)
        return True
