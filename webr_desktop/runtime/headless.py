"""Run R source with no window, like Rscript: ``webr-desktop run FILE.R`` / ``run -e EXPR``.

R's stdout goes to our stdout and R's stderr to our stderr as it is produced; the exit status
is 0 on success and 1 when R signalled an error (the R tools' ``.wd.run_text`` stops there).
"""

from __future__ import annotations

from typing import TextIO

from PySide6.QtCore import QObject, Signal

from webr_desktop.core.rcode import r_string
from webr_desktop.runtime.session import RSession

EXIT_OK = 0
EXIT_R_ERROR = 1
EXIT_RUNTIME_FAILURE = 2


class ScriptRunner(QObject):
    """Feeds one script to a session and reports its exit status."""

    sig_finished = Signal(int)

    def __init__(
        self, session: RSession, source: str, filename: str, stdout: TextIO, stderr: TextIO,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._source = source
        self._filename = filename
        self._stdout = stdout
        self._stderr = stderr
        self._phase = "starting"
        session.sig_output_received.connect(self._on_session_output)
        session.sig_prompt_shown.connect(self._on_session_prompt)
        session.sig_start_failed.connect(self._on_session_failure)
        session.sig_crashed.connect(self._on_session_failure)
        session.sig_closed.connect(self._on_session_closed)

    def _on_session_output(self, chunk: list[tuple[str, str]]) -> None:
        if self._phase != "running":
            return  # the start-up banner is not the script's output
        for stream, text in chunk:
            out = self._stdout if stream == "stdout" else self._stderr
            out.write(text + "\n")
        self._stdout.flush()
        self._stderr.flush()

    def _on_session_prompt(self, prompt: str) -> None:
        if self._phase == "starting":
            self._phase = "running"
            code = f".wd.run_text({r_string(self._source)}, {r_string(self._filename)})"
            self._session.write_console(code)
        elif self._phase == "running" and prompt.startswith(">"):
            self._phase = "status"
            request = self._session.eval('get(".wd.status", "tools:webr_desktop")')
            request.sig_finished.connect(self._on_status)
            request.sig_failed.connect(self._on_session_failure)
        elif self._phase == "running":
            # readline() and friends: a script run has no terminal, so input is empty
            # (what Rscript's non-interactive readline() returns).
            self._session.write_console("")

    def _on_status(self, status: object) -> None:
        self._finish(EXIT_OK if status == 0 else EXIT_R_ERROR)

    def _on_session_failure(self, reason: str) -> None:
        self._stderr.write(f"webr-desktop: {reason}\n")
        self._finish(EXIT_RUNTIME_FAILURE)

    def _on_session_closed(self, status: int) -> None:
        # quit(status = n) from the script: R ended on purpose, as Rscript would.
        self._finish(status)

    def _finish(self, status: int) -> None:
        if self._phase == "done":
            return
        self._phase = "done"
        self._stdout.flush()
        self._stderr.flush()
        self.sig_finished.emit(status)
