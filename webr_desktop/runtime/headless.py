"""Run R source with no window, like Rscript: ``webr-desktop run FILE.R`` / ``run -e EXPR``.

R's stdout goes to our stdout and R's stderr to our stderr as it is produced; the exit status
is R's: 0 at the end of the script, 1 after an error ("Execution halted"), ``quit(status =)``'s,
and 2 when the runtime itself failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from PySide6.QtCore import QObject, QTimer, Signal

from webr_desktop.core import paths
from webr_desktop.core.messages import Message
from webr_desktop.core.plot_export import ExportSpec
from webr_desktop.core.rcode import r_string
from webr_desktop.runtime.session import RSession, SessionState

EXIT_OK = 0
EXIT_R_ERROR = 1
EXIT_RUNTIME_FAILURE = 2
EOF_MARK = "\u0004"  # end of input for R (resources/worker/script_stdin.js)


@dataclass(frozen=True)
class PlotOutput:
    """``run --plots DIR``: every finished plot of the script goes to DIR as plot-001.<ext>, …"""

    directory: Path
    spec: ExportSpec

    def path(self, number: int) -> Path:
        return self.directory / f"plot-{number:03d}.{self.spec.extension}"


class ScriptRunner(QObject):
    """Feeds one script to a non-interactive session (``start_services(script=True)``) and
    reports its exit status.

    R reads the script from stdin through its own REPL, as Rscript does (see
    resources/worker/script_stdin.js): every top-level expression runs in R's top-level
    context, and R itself prints errors ("Execution halted"), warnings and values. When R
    ends (end of input, an error, ``quit(status =)``) its exit finalizer posts
    ``wd-script-exit`` and keeps serving file reads, so the plot files R wrote are still copied out.
    """

    sig_finished = Signal(int)

    def __init__(
        self, session: RSession, source: str, filename: str, stdout: TextIO, stderr: TextIO,
        plots: PlotOutput | None = None, parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._plots = plots
        self._plot_files: list[str] = []
        self._plot_number = 0
        self._status = EXIT_OK
        self._session = session
        self._source = source
        self._filename = filename
        self._stdout = stdout
        self._stderr = stderr
        self._phase = "starting"
        session.sig_output_received.connect(self._on_session_output)
        session.sig_prompt_shown.connect(self._on_session_prompt)
        session.sig_message_received.connect(self._on_session_message)
        session.sig_start_failed.connect(self._on_session_failure)
        session.sig_crashed.connect(self._on_session_failure)
        session.sig_closed.connect(self._on_session_closed)
        if session.state is SessionState.IDLE:  # R was up before us: its first prompt is past
            QTimer.singleShot(0, lambda: self._on_session_prompt(session.prompt))

    def _on_session_output(self, chunk: list[tuple[str, str]]) -> None:
        if self._phase != "running":
            return  # the start-up banner is not the script's output
        for stream, text in chunk:
            out = self._stdout if stream == "stdout" else self._stderr
            out.write(text + "\n")
        self._stdout.flush()
        self._stderr.flush()

    def _on_session_prompt(self, _prompt: str) -> None:
        # webR's first console read is its interactive one (the only prompt R shows here).
        if self._phase != "starting":
            return
        self._phase = "loading"
        patch = (paths.resources_dir() / "worker" / "script_stdin.js").read_text(encoding="utf-8")
        plots = "NULL"
        if self._plots is not None:  # R draws on its own file device of this format (script.R)
            spec = self._plots.spec
            plots = (f"list(fmt = {r_string(spec.fmt)}, ext = {r_string(spec.extension)}, "
                     f"width_in = {float(spec.width_in)!r}, height_in = {float(spec.height_in)!r}, "
                     f"dpi = {int(spec.dpi)}L)")
        request = self._session.eval(f".wd.script_begin({r_string(patch)}, plots = {plots})")
        request.sig_finished.connect(self._on_script_ready)
        request.sig_failed.connect(self._on_session_failure)

    def _on_script_ready(self, _value: object) -> None:
        self._phase = "running"
        lines = self._source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        # "" answers the first (interactive) read; EOF_MARK is end of input for R.
        self._session.send_input(["", *lines, EOF_MARK])

    def _on_session_message(self, msg: Message) -> None:
        if msg.type != "wd-script-exit" or self._phase != "running":
            return
        data = msg.data if isinstance(msg.data, dict) else {}
        status = data.get("status")
        self._status = status if isinstance(status, int) and 0 <= status <= 255 else EXIT_R_ERROR
        files = data.get("files")
        self._plot_files = [f if isinstance(f, str) else "" for f in files] if isinstance(files, list) else []
        if self._plots is None:
            self._finish(self._status)
            return
        self._phase = "plots"  # the plots made before an error are written too
        try:
            self._plots.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._stderr.write(f"webr-desktop: cannot create {self._plots.directory}: {exc}\n")
            self._finish(EXIT_RUNTIME_FAILURE)
            return
        self._write_next_plot()

    def _write_next_plot(self) -> None:
        if not self._plot_files:
            self._finish(self._status)
            return
        assert self._plots is not None
        tmp = self._plot_files.pop(0)
        self._plot_number += 1
        if not tmp.startswith("/tmp/.webr-desktop-plot-"):  # R said why on stderr
            self._status = EXIT_RUNTIME_FAILURE
            self._write_next_plot()
            return
        request = self._session.read_file(tmp)
        request.sig_finished.connect(self._on_plot_bytes)
        request.sig_failed.connect(lambda err: self._on_plot_failed(err))

    def _on_plot_bytes(self, data: bytes) -> None:
        assert self._plots is not None
        path = self._plots.path(self._plot_number)
        try:
            path.write_bytes(data)
        except OSError as exc:
            self._stderr.write(f"webr-desktop: cannot write {path}: {exc}\n")
            self._status = EXIT_RUNTIME_FAILURE
        else:
            self._stderr.write(f"{path}\n")
            self._stderr.flush()
        self._write_next_plot()

    def _on_plot_failed(self, error: str) -> None:
        self._stderr.write(f"webr-desktop: plot {self._plot_number} could not be exported: {error}\n")
        self._status = EXIT_RUNTIME_FAILURE
        self._write_next_plot()

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
