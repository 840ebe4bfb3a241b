"""ProjectService: the user's host folders inside R, live, and R's working directory.

Each host folder becomes a webR DRIVEFS mount answered by the app's loopback server
(``webr_desktop/server/drive.py``); R sets it up with ``.wd.drive_mount`` (resources/R/drive.R).

Where a folder appears in R: at its own absolute POSIX path (host ``/home/ann/proj`` ->
``getwd()`` is ``/home/ann/proj``; Windows ``C:\\x\\y`` -> ``/C/x/y``), so paths printed by R,
in error messages and in scripts read the same as on the host. A folder whose path would
shadow or sit inside webR's own system directories (``/``, ``/usr``, ``/dev``, ``/proc``,
``/home/web_user``, ``/tmp`` itself...) goes to ``/mnt/<name>`` instead. A folder inside one
already mounted is reached through that mount (never mounted twice).

Mounts die with R: after Restart R every mount and the working directory are restored from the
``sig_started`` slot. Those evals reach the worker before any console line (the session sends
queued console input only at R's first prompt, evals at once), so the user's first command
already sees them.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from webr_desktop.core import paths
from webr_desktop.core.rcode import r_string
from webr_desktop.models.replies import while_alive
from webr_desktop.runtime.session import RSession

log = logging.getLogger(__name__)

# webR's own directories: a mount on or above one of these would hide R itself or its home.
_SYSTEM_TREES = ("/usr", "/dev", "/proc", "/home/web_user")  # nor anywhere inside them
_SYSTEM_EXACT = ("/tmp", "/mnt")  # R's tempdir lives in /tmp; /mnt holds our fallbacks
MOUNT_ROOT = "/mnt"


class DriveRegistry(Protocol):
    """What the service needs of ``server.drive.DriveFS`` (models never import the server)."""

    def add(self, root: Path) -> str: ...


@dataclass(frozen=True)
class Mount:
    """One host folder mounted in R."""

    host: Path  # resolved host folder
    drive: str  # DriveFS drive name
    r_path: str  # its mount point in webR's file system


def natural_mount_point(host: Path) -> str | None:
    """The host folder's own absolute path as a webR path, or None if it can't be used."""
    text = str(host)
    if isinstance(host, PureWindowsPath) or (len(text) > 1 and text[1] == ":"):
        win = PureWindowsPath(text)
        if len(win.drive) != 2 or not win.drive[0].isalpha():
            return None  # UNC shares and device paths
        return posixpath.join("/", win.drive[0], *win.parts[1:])
    posix = PurePosixPath(text).as_posix()
    return posix if posix.startswith("/") else None


def collides(mount_point: str) -> bool:
    """Whether a mount at ``mount_point`` would shadow or sit inside webR's system dirs."""
    if mount_point == "/":
        return True
    for tree in _SYSTEM_TREES:
        if mount_point == tree or mount_point.startswith(tree + "/") or tree.startswith(mount_point + "/"):
            return True
    return any(mount_point == d or d.startswith(mount_point + "/") for d in _SYSTEM_EXACT)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


class ProjectService(QObject):
    """Mounts host folders in R, keeps R's working directory, and maps host <-> R paths."""

    sig_folder_changed = Signal(object)  # Path: the project folder now open
    sig_working_dir_changed = Signal(str)  # R's working directory (an R path)
    sig_problem = Signal(str)  # something the user should be told

    def __init__(self, session: RSession, drives: DriveRegistry, secret: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._drives = drives
        self._secret = secret
        self._patch_js = (paths.resources_dir() / "worker" / "drivefs_patch.js").read_text(encoding="utf-8")
        self._mounts: list[Mount] = []
        self._folder: Path | None = None
        self._working_dir: str | None = None  # R path, as last set or seen
        session.sig_started.connect(self._on_session_started)
        session.sig_settled.connect(self._on_session_settled)

    # ---------------------------------------------------------------- public API
    @property
    def folder(self) -> Path | None:
        """The project folder (host path), if one is open."""
        return self._folder

    @property
    def working_dir(self) -> str | None:
        """R's working directory as last set or seen (an R path)."""
        return self._working_dir

    @property
    def mounts(self) -> list[Mount]:
        return list(self._mounts)

    def open_folder(self, path: Path) -> None:
        """Mount ``path`` and make it R's working directory and the project folder."""
        host = self._resolve(path)
        if host is None:
            return
        r_dir = self.mount(host)
        if r_dir is None:
            return
        self._folder = host
        self.sig_folder_changed.emit(host)
        self._setwd(r_dir)

    def mount(self, path: Path) -> str | None:
        """Make the host folder ``path`` visible to R (no setwd); returns its R path."""
        host = self._resolve(path)
        if host is None:
            return None
        existing = self.r_path(host)
        if existing is not None:
            return existing
        try:
            drive = self._drives.add(host)
        except OSError as exc:
            self.sig_problem.emit(f"Cannot open {host}: {exc}")
            return None
        mount = Mount(host, drive, self._mount_point(host))
        self._mounts.append(mount)
        self._send_mount(mount)
        return mount.r_path

    def set_working_dir(self, host_dir: Path) -> None:
        """Make ``host_dir`` (a folder inside a mount) R's working directory."""
        r_dir = self.r_path(Path(host_dir))
        if r_dir is None or not Path(host_dir).is_dir():
            self.sig_problem.emit(f"{host_dir} is not a folder inside an open project folder.")
            return
        self._setwd(r_dir)

    def r_path(self, host_path: Path) -> str | None:
        """Where R sees ``host_path`` (a file or folder inside a mount), or None."""
        try:
            host = Path(host_path).expanduser().resolve()
        except (OSError, RuntimeError):
            return None
        best: Mount | None = None
        for m in self._mounts:
            if host.is_relative_to(m.host) and (best is None or len(m.host.parts) > len(best.host.parts)):
                best = m
        if best is None:
            return None
        rel = host.relative_to(best.host).as_posix()
        return best.r_path if rel == "." else posixpath.join(best.r_path, rel)

    def host_path(self, r_path: str) -> Path | None:
        """The host file or folder behind the R path ``r_path`` (inside a mount), or None."""
        if not r_path.startswith("/"):
            if self._working_dir is None:
                return None
            r_path = posixpath.join(self._working_dir, r_path)
        norm = posixpath.normpath(r_path)
        best: Mount | None = None
        for m in self._mounts:
            if _inside(norm, m.r_path) and (best is None or len(m.r_path) > len(best.r_path)):
                best = m
        if best is None:
            return None
        rel = norm[len(best.r_path):].lstrip("/")
        return best.host.joinpath(*rel.split("/")) if rel else best.host

    # ---------------------------------------------------------------- internals
    def _resolve(self, path: Path) -> Path | None:
        try:
            host = Path(path).expanduser().resolve(strict=True)
        except (OSError, RuntimeError):
            host = None
        if host is None or not host.is_dir():
            self.sig_problem.emit(f"{path} is not a folder.")
            return None
        return host

    def _mount_point(self, host: Path) -> str:
        natural = natural_mount_point(host)
        taken = {m.r_path for m in self._mounts}
        if natural is not None and not collides(natural) and natural not in taken:
            return natural
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in host.name) or "drive"
        candidate, n = posixpath.join(MOUNT_ROOT, name), 2
        while candidate in taken:
            candidate, n = posixpath.join(MOUNT_ROOT, f"{name}-{n}"), n + 1
        return candidate

    def _send_mount(self, mount: Mount) -> None:
        code = (
            f".wd.drive_mount({r_string(mount.r_path)}, {r_string(mount.drive)}, "
            f"{r_string(self._secret)}, {r_string(self._patch_js)})"
        )
        request = self._session.eval(code)
        request.sig_failed.connect(while_alive(self, lambda error, m=mount: self._on_mount_failed(m, error)))

    def _on_mount_failed(self, mount: Mount, error: str) -> None:
        if mount in self._mounts and not error.startswith("R session"):  # not a restart
            self.sig_problem.emit(f"Could not open {mount.host} in R: {error}")

    def _setwd(self, r_dir: str) -> None:
        request = self._session.eval(f"{{ setwd({r_string(r_dir)}); getwd() }}")
        request.sig_finished.connect(self._on_wd_seen)
        request.sig_failed.connect(while_alive(
            self, lambda error: error.startswith("R session") or self.sig_problem.emit(f"Could not change to {r_dir}: {error}")
        ))

    def _on_wd_seen(self, value: object) -> None:
        if isinstance(value, str) and value != self._working_dir:
            self._working_dir = value
            self.sig_working_dir_changed.emit(value)

    def _on_session_started(self, _ready: object) -> None:
        """R (re)started: mounts and the working directory are gone; restore them first."""
        for mount in self._mounts:
            self._send_mount(mount)  # idempotent in R if this is the first start
        wd = self._working_dir
        if wd is not None and self.host_path(wd) is not None:
            self._setwd(wd)
        elif self._folder is not None and (r_dir := self.r_path(self._folder)) is not None:
            self._setwd(r_dir)

    def _on_session_settled(self) -> None:
        """Follow ``setwd()`` typed in the console (one cheap eval once R settles after
        commands: it never waits in webR's queue ahead of a command typed at once)."""
        request = self._session.eval("getwd()")
        request.sig_finished.connect(self._on_wd_seen)
