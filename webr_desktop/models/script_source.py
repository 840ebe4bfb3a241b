"""Sourcing an editor buffer in R (Ctrl+Shift+Enter / Ctrl+Shift+S), as RStudio does.

A saved file inside a mounted folder is sourced by its R path, so R's messages and
``sys.source`` names read as on the host. Anything else (an untitled tab, a file outside every
mounted folder) is first written to a file of the same name in R's temporary directory; the
console line, sent once R has written it, is the same ``source(...)`` call a user would type.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from webr_desktop.core.rcode import r_string
from webr_desktop.models.replies import while_alive
from webr_desktop.runtime.session import RSession


class PathMapper(Protocol):
    """What sourcing needs of the project service: where R sees a host file."""

    def r_path(self, host_path: Path) -> str | None: ...


def source_line(r_file: str, echo: bool) -> str:
    """The console line that sources ``r_file`` (an R path)."""
    return f"source({r_string(r_file)}, echo = {'TRUE' if echo else 'FALSE'})"


class ScriptSourcer(QObject):
    """Turns the editor's source requests into console input."""

    sig_problem = Signal(str)

    def __init__(
        self, session: RSession, paths: PathMapper, submit: Callable[[str], None], parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._paths = paths
        self._submit = submit

    def source(self, path: Path | None, text: str, echo: bool) -> None:
        """Source ``text`` (the buffer of ``path``, already saved if it has one)."""
        r_file = self._paths.r_path(path) if path is not None else None
        if r_file is not None:
            self._submit(source_line(r_file, echo))
            return
        name = Path(path).name if path is not None else "Untitled.R"
        code = (
            f'local({{ f <- file.path(tempdir(), {r_string(name)}); '
            f'writeLines({r_string(text)}, f, useBytes = TRUE); f }})'
        )
        request = self._session.eval(code)
        request.sig_failed.connect(while_alive(self, lambda error: self.sig_problem.emit(f"Could not source {name}: {error}")))
        request.sig_finished.connect(while_alive(self, lambda r_file: self._on_written(r_file, echo)))

    def _on_written(self, r_file: object, echo: bool) -> None:
        if isinstance(r_file, str):
            self._submit(source_line(r_file, echo))
