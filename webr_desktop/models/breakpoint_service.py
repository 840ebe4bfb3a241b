"""BreakpointService: the editor's breakpoints, kept per file and placed in R.

R does the placing (resources/R/breakpoints.R): ``.wd.bp_set`` records a file's wanted lines
and traces the functions already defined from it, at once; R's task callback re-places them
whenever a command (re)defines functions from that file (Ctrl+Shift+Enter's ``source()``, or
``source()`` typed at the console). Once R settles after console commands
(``RSession.sig_settled``, as the other panes' checks: not in webR's queue ahead of the next
command) one eval, ``.wd.bp_status(gen)``, brings back what changed since generation ``gen``
(nothing, while nothing did).

Paths: the editor knows host paths, R knows R paths. A file inside a mounted folder has its
mount's R path (ProjectService.r_path); any other file is sourced from a copy of the same
name in R's tempdir() (models/script_source.py), so R is told that name instead.

Restart R forgets every trace: statuses go back to "pending" and each file is sent again on
the new R's start, so its next source places them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from webr_desktop.core.rcode import r_string
from webr_desktop.models.breakpoints import BreakpointStore, LineStatus
from webr_desktop.models.replies import while_alive
from webr_desktop.runtime.session import RSession

RESTARTED = "not active yet: R was restarted; it places it when the file is sourced again"


class PathMapper(Protocol):
    def r_path(self, host_path: Path) -> str | None: ...


class BreakpointService(QObject):
    """Per-file breakpoint lines: saved in ``store``, placed in ``session``'s R."""

    sig_statuses_changed = Signal(str)  # host path (str) whose statuses changed
    sig_problem = Signal(str)

    def __init__(self, session: RSession, paths: PathMapper, store: BreakpointStore,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._paths = paths
        self._store = store
        self._files: dict[Path, list[int]] = {}  # files the editor showed this run: lines sent
        self._statuses: dict[Path, dict[int, LineStatus]] = {}
        self._hosts: dict[str, Path] = {}  # R path -> host path
        self._gen = 0
        session.sig_started.connect(self._on_session_started)
        session.sig_settled.connect(self._on_session_settled)

    # ---------------------------------------------------------------- public API
    def saved_lines(self, host: Path) -> list[int]:
        """The file's breakpoints as last saved (the editor's start-up set for its tab)."""
        return self._store.lines(Path(host))

    def statuses(self, host: Path) -> dict[int, LineStatus]:
        return dict(self._statuses.get(Path(host), {}))

    def remember(self, host: Path, lines: list[int]) -> None:
        """Save ``lines`` without telling R (the buffer has unsaved changes: R's copy of the
        file has other line numbers)."""
        self._store.set_lines(Path(host), lines)

    def set_lines(self, host: Path, lines: list[int]) -> None:
        """Save the file's breakpoint lines and place them in R (one eval)."""
        host = Path(host)
        lines = sorted(set(int(n) for n in lines if int(n) > 0))
        self._store.set_lines(host, lines)
        if not lines and host not in self._files:
            return  # nothing was ever sent for it: R has nothing to clear
        self._files[host] = lines
        self._send(host)

    def rename(self, old: Path, new: Path) -> None:
        """The file was saved under another name: its breakpoints follow it."""
        old, new = Path(old), Path(new)
        self._store.move(old, new)
        if old in self._files:
            self._files[new] = self._files.pop(old)
            self._send(old, [])  # R drops the old file's traces
            self._send(new)

    def resend_all(self) -> None:
        """Mounts changed (a folder was opened): R paths may differ; tell R again."""
        for host in list(self._files):
            self._send(host)

    # ---------------------------------------------------------------- R
    def _send(self, host: Path, lines: list[int] | None = None) -> None:
        lines = self._files.get(host, []) if lines is None else lines
        vector = "integer()" if not lines else "c(" + ", ".join(f"{n}L" for n in lines) + ")"
        r_file = self._paths.r_path(host)
        if r_file is not None:
            code = f".wd.bp_set({r_string(r_file)}, {vector})"
        else:  # sourced from a copy of the same name in tempdir()
            code = f".wd.bp_set({r_string(host.name)}, {vector}, temp = TRUE)"
        request = self._session.eval(code)
        request.sig_finished.connect(while_alive(self, lambda value, h=host: self._on_file_status(h, value)))
        request.sig_failed.connect(while_alive(
            self, lambda error: error.startswith("R session") or self.sig_problem.emit(f"Breakpoints: {error}")
        ))

    def _on_file_status(self, host: Path, value: object) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("file"), str):
            return
        self._hosts[value["file"]] = host
        self._apply(host, value.get("lines"))
        gen = value.get("gen")
        if isinstance(gen, int):
            self._gen = max(self._gen, gen)

    def _apply(self, host: Path, lines: object) -> None:
        statuses = {}
        for item in lines if isinstance(lines, list) else []:
            status = LineStatus.from_r(item)
            if status is not None:
                statuses[status.line] = status
        if statuses != self._statuses.get(host):
            self._statuses[host] = statuses
            self.sig_statuses_changed.emit(str(host))

    def _on_session_settled(self) -> None:
        if not any(self._files.values()):
            return
        request = self._session.eval(f".wd.bp_status({self._gen}L)")
        request.sig_finished.connect(while_alive(self, self._on_status))

    def _on_status(self, value: object) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("gen"), int):
            return  # NULL: nothing changed
        self._gen = value["gen"]
        files = value.get("files")
        for item in files if isinstance(files, list) else []:
            name = item.get("file") if isinstance(item, dict) else None
            if isinstance(name, str) and (host := self._hosts.get(name)) is not None:
                self._apply(host, item.get("lines"))

    def _on_session_started(self, _ready: object) -> None:
        """A new R: no traces, generation 0. Lines go back to pending until sourced."""
        self._gen = 0
        for host, lines in self._files.items():
            pending = {n: LineStatus(n, "pending", n, reason=RESTARTED) for n in lines}
            if pending != self._statuses.get(host):
                self._statuses[host] = pending
                self.sig_statuses_changed.emit(str(host))
            if lines:
                self._send(host)
