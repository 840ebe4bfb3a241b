"""CompletionService: code completions from R's own engine for the editor and the console.

R completes with ``.wd.complete(line, cursor)`` (resources/R/complete.R, built on
``utils:::.completeToken``), so completions know the live workspace (``mtcars$`` gives its
columns, ``pkg::`` its exports). Widgets get this service (or just its ``complete`` method);
only the latest request's answer is delivered, since a popup for an older keystroke is noise.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from webr_desktop.core.messages import r_error_text
from webr_desktop.core.rcode import r_string
from webr_desktop.runtime.session import RSession

log = logging.getLogger(__name__)


class CompletionService(QObject):
    """Asks R for completions; ``sig_completed`` carries the answer to the latest request."""

    sig_completed = Signal(int, str, list)  # (request id, token being completed, candidates)
    sig_problem = Signal(str)  # a readable message (R failed to complete)

    def __init__(self, session: RSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._latest = 0

    def set_session(self, session: RSession) -> None:
        """Use another session (Restart R replaces it); answers still on their way are dropped."""
        self._session = session
        self._latest += 1

    @property
    def latest_request(self) -> int:
        return self._latest

    def complete(self, line: str, cursor: int) -> int:
        """Ask for completions of the token ending at ``cursor`` in ``line``; returns the request id."""
        self._latest += 1
        request_id = self._latest
        line = line.replace("\x00", "")
        cursor = max(0, min(cursor, len(line)))
        request = self._session.eval(f".wd.complete({r_string(line)}, {cursor}L)")
        request.sig_finished.connect(lambda value: self._on_finished(request_id, value))
        request.sig_failed.connect(lambda error: self._on_failed(request_id, error))
        return request_id

    def _on_finished(self, request_id: int, value: object) -> None:
        if request_id != self._latest:
            return
        if not isinstance(value, dict):
            log.warning("completion: unexpected value %r", type(value))
            self.sig_completed.emit(request_id, "", [])
            return
        token = value.get("token") if isinstance(value.get("token"), str) else ""
        raw = value.get("candidates")
        if isinstance(raw, str):
            raw = [raw]
        candidates = [c for c in raw if isinstance(c, str)] if isinstance(raw, list) else []
        self.sig_completed.emit(request_id, token, candidates)

    def _on_failed(self, request_id: int, error: str) -> None:
        if request_id == self._latest:
            self.sig_problem.emit(r_error_text(error.strip()) or "R could not complete this.")
