"""The console's output: styled, bounded, and cheap to append to under a flood.

Appends are queued and written in time slices so a 1e5-line burst never stalls the event
loop; lines that would scroll past the scrollback bound before they are ever drawn are
dropped from the queue instead of being inserted and evicted.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QResizeEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QWidget

from webr_desktop.core.ansi import Span, rgb
from webr_desktop.core.console_text import ERROR, MESSAGE, STDOUT, WARNING

INPUT = "input"
NOTICE = "notice"
SLICE_SECONDS = 0.008  # stop appending once a slice has run this long
LINES_PER_STEP = 400  # lines per edit block, so no single step overshoots the slice much


def _format(color: str | None = None, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    if color:
        fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


FORMATS = {
    STDOUT: _format(),
    INPUT: _format("#1f4fa8"),
    ERROR: _format("#c0141b"),
    WARNING: _format("#c0141b"),
    MESSAGE: _format("#8a5300"),
    NOTICE: _format("#6b6b6b", italic=True),
}


LINK_COLOR = "#1f4fa8"

Line = tuple[str, "str | list[Span]"]  # (style, plain text or ANSI-styled spans)


def span_format(base: QTextCharFormat, span: Span) -> QTextCharFormat:
    """``base`` (the line's kind) with what an ANSI span adds: colours, weight, links."""
    fmt = QTextCharFormat(base)
    style = span.style
    if style.fg is not None:
        fmt.setForeground(QColor(*rgb(style.fg)))
    if style.bg is not None:
        fmt.setBackground(QColor(*rgb(style.bg)))
    if style.bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    if style.italic:
        fmt.setFontItalic(True)
    if style.underline or style.link:
        fmt.setFontUnderline(True)
    if style.link:
        fmt.setAnchor(True)
        fmt.setAnchorHref(style.link)
        if style.fg is None:
            fmt.setForeground(QColor(LINK_COLOR))
    return fmt


class ConsoleOutputView(QPlainTextEdit):
    """Read-only output with a bounded scrollback of ``max_lines`` lines; ANSI-styled lines
    keep their colours and their OSC 8 links are clickable."""

    sig_link_activated = Signal(str)  # the target of a clicked link

    def __init__(self, max_lines: int = 10_000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setMaximumBlockCount(max_lines)
        self.viewport().setMouseTracking(True)  # the hand cursor over links
        self._max_lines = max_lines
        self._pending: deque[Line] = deque()
        self._has_text = False
        self._flush_timer = QTimer(self, singleShot=True, interval=0)
        self._flush_timer.timeout.connect(self._flush_slice)

    @property
    def pending_lines(self) -> int:
        return len(self._pending)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        """Stay on the newest output when a pane above (a data viewer) takes height."""
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        super().resizeEvent(event)
        if at_bottom:
            bar.setValue(bar.maximum())

    def append_lines(self, lines: list[Line]) -> None:
        """Queue (style, text) lines for display."""
        self._pending.extend(lines)
        overflow = len(self._pending) - self._max_lines
        if overflow > 0:  # they would be evicted before anyone could see them
            for _ in range(overflow):
                self._pending.popleft()
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush_now(self) -> None:
        """Write everything queued (used before clearing and by tests)."""
        self._flush_slice(budget=None)

    def clear_output(self) -> None:
        self._pending.clear()
        self.clear()
        self._has_text = False

    def _flush_slice(self, budget: float | None = SLICE_SECONDS) -> None:
        """Append queued lines for up to ``budget`` seconds (None: until none are left)."""
        deadline = None if budget is None else time.perf_counter() + budget
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.document())
        while self._pending:
            # One edit block per step: at the scrollback bound, evicting old blocks in
            # endEditBlock() costs more than inserting, so it must count against the slice.
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.beginEditBlock()
            room = LINES_PER_STEP
            while self._pending and room > 0:
                style, first = self._pending[0]
                if not isinstance(first, str):  # ANSI-styled: one insert per span
                    self._pending.popleft()
                    room -= 1
                    self._insert_spans(cursor, style, first)
                    continue
                run: list[str] = []
                while self._pending and self._pending[0][0] == style and isinstance(self._pending[0][1], str) \
                        and room > 0:
                    run.append(self._pending.popleft()[1])
                    room -= 1
                text = "\n".join(run)
                if self._has_text:
                    text = "\n" + text
                self._has_text = True
                cursor.insertText(text, FORMATS.get(style, FORMATS[STDOUT]))
            cursor.endEditBlock()
            if deadline is not None and time.perf_counter() > deadline:
                break
        if at_bottom:
            bar.setValue(bar.maximum())
        if self._pending and deadline is not None:
            self._flush_timer.start()

    def _insert_spans(self, cursor: QTextCursor, style: str, spans: list[Span]) -> None:
        base = FORMATS.get(style, FORMATS[STDOUT])
        if self._has_text:
            cursor.insertText("\n", base)
        self._has_text = True
        if not spans:  # an empty line
            cursor.insertText("", base)
        for span in spans:
            cursor.insertText(span.text, span_format(base, span))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """A pointing hand over a link, as in a browser."""
        link = self.anchorAt(event.position().toPoint())
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if link else Qt.CursorShape.IBeamCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """A click on a link (not the end of a selection drag) activates it."""
        link = self.anchorAt(event.position().toPoint())
        super().mouseReleaseEvent(event)
        if link and event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            self.sig_link_activated.emit(link)
