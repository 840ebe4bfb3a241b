"""ConsolePane: R's console as a native widget, shown from one RSession.

The pane renders what the session reports (output, prompts, echoed input, busy state) and
turns keys into session calls. It keeps no request bookkeeping: queueing, interrupt and
restart logic live in RSession.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QFontDatabase, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from webr_desktop.core.ansi import AnsiParser, split_carriage_returns
from webr_desktop.core.console_links import parse_link
from webr_desktop.core.console_text import StderrClassifier
from webr_desktop.core.rcode import r_string
from webr_desktop.core.history import History
from webr_desktop.runtime.session import RSession
from webr_desktop.ui.console.input_line import ConsoleInputLine
from webr_desktop.ui.console.offer_bar import OfferBar
from webr_desktop.ui.console.output_view import INPUT, NOTICE, ConsoleOutputView
from webr_desktop.ui.editor.completer import CompletionSource
from webr_desktop.ui.outside import open_outside

WIDTH_DEBOUNCE_MS = 150
# Quick commands never flash the busy bar: showing/hiding it on every round trip costs a
# relayout and repaint of the whole console (measured: it doubled the round trip).
BUSY_SHOW_DELAY_MS = 250


class ConsolePane(QWidget):
    sig_prompt_displayed = Signal(str)  # after a prompt is on screen (used by benchmarks)
    sig_help_requested = Signal(str, str)  # topic, package ("" when not named): a help link
    sig_open_file_requested = Signal(str, int)  # path, line (0: not given): a file link

    def __init__(
        self, session: RSession, history: History, parent: QWidget | None = None,
        open_url: Callable[[QUrl], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._history = history
        self._classifier = StderrClassifier()
        self._parsers = {"stdout": AnsiParser(), "stderr": AnsiParser()}  # colours per stream
        self._open_url = open_url or open_outside

        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.output = ConsoleOutputView(parent=self)
        self.prompt_label = QLabel("> ", self)
        self.input = ConsoleInputLine(self)
        self.busy_bar = QProgressBar(self)
        self.offer_bar = OfferBar(self)  # install a missing package, restart R: one click
        for widget in (self.output, self.prompt_label, self.input):
            widget.setFont(font)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setFixedHeight(3)
        self.busy_bar.setTextVisible(False)
        policy = self.busy_bar.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # hiding it must not re-lay out the console
        self.busy_bar.setSizePolicy(policy)
        self.busy_bar.hide()
        self.setStyleSheet("ConsolePane, QPlainTextEdit, QLabel { background: white; }")

        input_row = QHBoxLayout()
        input_row.setContentsMargins(4, 0, 0, 0)
        input_row.setSpacing(0)
        input_row.addWidget(self.prompt_label)
        input_row.addWidget(self.input, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.offer_bar)
        layout.addLayout(input_row)
        layout.addWidget(self.busy_bar)
        self.setFocusProxy(self.input)

        self._width_timer = QTimer(self, singleShot=True, interval=WIDTH_DEBOUNCE_MS)
        self._width_timer.timeout.connect(self._on_width_timer_timeout)
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_SHOW_DELAY_MS)
        self._busy_timer.timeout.connect(self.busy_bar.show)

        self.input.sig_lines_submitted.connect(self._on_input_lines_submitted)
        self.input.sig_history_requested.connect(self._on_input_history_requested)
        self.input.sig_interrupt_requested.connect(session.interrupt)
        self.input.sig_clear_requested.connect(self.clear)
        self.output.sig_link_activated.connect(self._on_output_link_activated)
        session.sig_output_received.connect(self._on_session_output)
        session.sig_input_sent.connect(self._on_session_input_sent)
        session.sig_prompt_shown.connect(self._on_session_prompt)
        session.sig_busy_changed.connect(self._on_session_busy)
        session.sig_starting.connect(self._on_session_starting)
        session.sig_notice.connect(self.show_notice)
        session.sig_closed.connect(self._on_session_closed)
        session.sig_crashed.connect(self._on_session_crashed)
        session.sig_start_failed.connect(self._on_session_start_failed)

    # ----------------------------------------------------------------- public
    def clear(self) -> None:
        self.output.clear_output()

    def set_completions(self, completions: CompletionSource | None) -> None:
        """Tab/Ctrl+Space in the input line complete from this service (R's own engine)."""
        self.input.set_completions(completions)

    def show_notice(self, text: str) -> None:
        self.output.append_lines([(NOTICE, line) for line in text.split("\n")])

    def show_offer(self, text: str, action_text: str, action: Callable[[], object]) -> None:
        """An action the user may take, above the input line (nothing runs until clicked)."""
        self.offer_bar.offer(text, action_text, action)

    def submit(self, text: str) -> None:
        """Run text as if typed: each line goes to R when it asks for input."""
        for line in text.split("\n"):
            self._history.add(line)
        self._session.write_console(text)

    # ----------------------------------------------------------------- events
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._width_timer.start()

    def _on_width_timer_timeout(self) -> None:
        char = max(1, self.output.fontMetrics().horizontalAdvance("0"))
        usable = self.output.viewport().width() - 2 * int(self.output.document().documentMargin())
        self._session.set_console_width(max(10, usable // char - 1))

    def _on_input_lines_submitted(self, lines: list[str]) -> None:
        self.submit("\n".join(lines))

    def _on_input_history_requested(self, step: int) -> None:
        entry = self._history.previous(self.input.text()) if step < 0 else self._history.next()
        if entry is not None:
            self.input.set_text(entry)

    def _on_session_output(self, chunk: list[tuple[str, str]]) -> None:
        classify = self._classifier.classify
        lines = []
        for stream, text in chunk:
            parser = self._parsers.get(stream)
            if parser is not None and ("\x1b" in text or "\r" in text or parser.active):
                spans = split_carriage_returns(parser.feed(text))  # crayon/cli colours, links
                lines.append((classify(stream, "".join(s.text for s in spans)), spans))
            else:  # the common case stays a plain string: floods are not slowed
                lines.append((classify(stream, text), text))
        self.output.append_lines(lines)

    def _on_output_link_activated(self, href: str) -> None:
        """Do what cli means by the link: help, run code, open a file or a web page."""
        link = parse_link(href)
        if link is None:
            return
        if link.kind == "help":
            self.sig_help_requested.emit(link.target, link.package or "")
        elif link.kind == "run":
            self.submit(link.target)
        elif link.kind == "vignette":
            package = f", package = {r_string(link.package)}" if link.package else ""
            self.submit(f"vignette({r_string(link.target)}{package})")
        elif link.kind == "file":
            self.sig_open_file_requested.emit(link.target, link.line)
        else:
            self._open_url(QUrl(link.target))

    def _on_session_input_sent(self, prompt: str, line: str) -> None:
        self._classifier.reset()
        self.output.append_lines([(INPUT, prompt + line)])

    def _on_session_prompt(self, prompt: str) -> None:
        self._classifier.reset()
        for parser in self._parsers.values():  # no colour leaks into the next command
            parser.reset()
        self.prompt_label.setText(prompt)
        self.sig_prompt_displayed.emit(prompt)

    def _on_session_busy(self, busy: bool) -> None:
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy_bar.hide()

    def _on_session_starting(self) -> None:
        self.prompt_label.setText("")

    def _on_session_closed(self, status: int) -> None:
        self.show_notice("R has quit. Type a command (or use Session > Restart R) to start a new R.")

    def _on_session_crashed(self, reason: str) -> None:
        self.show_notice(f"R crashed ({reason}). Type a command (or use Session > Restart R) to start a new R.")

    def _on_session_start_failed(self, reason: str) -> None:
        self.show_notice(reason)
