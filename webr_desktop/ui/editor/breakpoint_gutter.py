"""BreakpointGutter: red dots in a CodeEditor's gutter, toggled by a click there or F9.

A dot is filled when R will stop on the line, hollow when it won't (yet): not sourced, a
blank line, top-level code...; its tooltip says which (the status is R's answer, see
models/breakpoints.py). The lines live in a LineMarks, which moves them with edits; this
class only draws them and turns the editor's toggle requests into LineMarks changes.
"""

from __future__ import annotations

import textwrap

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPen, QTextBlock
from PySide6.QtWidgets import QToolTip

from webr_desktop.models.breakpoints import LineMarks, LineStatus
from webr_desktop.ui.editor.code_editor import CodeEditor

DOT = QColor("#d32f2f")
HOLLOW_FILL = QColor("#ffffff")
WAITING = "Breakpoint: waiting for R's answer"
UNSAVED = "Breakpoint: the file has unsaved changes; R places it when the file is saved and sourced"
UNTITLED = "Breakpoint: save the file to use it (R places breakpoints in saved files)"


class BreakpointGutter(QObject):
    """Draws ``marks`` in ``editor``'s gutter and toggles them on its requests."""

    def __init__(self, editor: CodeEditor, marks: LineMarks) -> None:
        super().__init__(editor)
        self.editor = editor
        self.marks = marks
        self._statuses: dict[int, LineStatus] = {}
        self.note = ""  # replaces the statuses' tooltips (unsaved changes, untitled)
        editor.gutter_painters.append(self._paint)
        editor.sig_toggle_breakpoint_requested.connect(marks.toggle)
        marks.sig_lines_changed.connect(lambda _lines: editor.gutter.update())
        marks.sig_lines_moved.connect(lambda _lines: editor.gutter.update())
        editor.gutter.installEventFilter(self)

    def set_statuses(self, statuses: dict[int, LineStatus], note: str = "") -> None:
        self._statuses = dict(statuses)
        self.note = note
        self.editor.gutter.update()

    def status(self, line: int) -> LineStatus | None:
        return None if self.note else self._statuses.get(line)

    def is_filled(self, line: int) -> bool:
        status = self.status(line)
        return status is not None and status.placed

    def tooltip(self, line: int) -> str:
        if not self.marks.has(line):
            return ""
        if self.note:
            return self.note
        status = self._statuses.get(line)
        return status.tooltip() if status is not None else WAITING

    def _paint(self, painter: QPainter, block: QTextBlock, rect: QRect) -> None:
        line = block.blockNumber() + 1
        if not self.marks.has(line):
            return
        size = min(rect.width(), rect.height()) - 5
        dot = QRectF(rect.left() + (rect.width() - size) / 2, rect.top() + (rect.height() - size) / 2, size, size)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.is_filled(line):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(DOT)
        else:
            painter.setPen(QPen(DOT, 2))
            painter.setBrush(HOLLOW_FILL)
            dot.adjust(1, 1, -1, -1)
        painter.drawEllipse(dot)
        painter.restore()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.editor.gutter and event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            block = self.editor.block_at_y(event.pos().y())
            text = self.tooltip(block.blockNumber() + 1) if block.isValid() else ""
            if text:
                # Plain text (never read as HTML), wrapped so a long reason stays on screen.
                QToolTip.showText(event.globalPos(), textwrap.fill(text, 64), self.editor.gutter)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return False

    def tooltip_pos(self, line: int) -> QPoint:
        """Where in the gutter the line's dot is (tests, screenshots)."""
        block = self.editor.document().findBlockByNumber(line - 1)
        top = self.editor.blockBoundingGeometry(block).translated(self.editor.contentOffset()).top()
        return QPoint(8, int(top + self.editor.blockBoundingRect(block).height() / 2))
