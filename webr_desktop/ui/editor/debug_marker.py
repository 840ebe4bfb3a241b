"""Where R's debugger stands in an editor: an arrow over the gutter and the line's background.

Kept apart from the gutter's own painting (line numbers, breakpoint dots): the arrow is drawn
by a transparent child of the gutter, so code_editor.py only asks for the line background.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPolygonF, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QPaintEvent, QTextDocument

DEBUG_LINE = QColor("#fff2a8")  # RStudio's yellow
ARROW = QColor("#2e7d32")


def debug_line_selection(document: QTextDocument, line: int) -> QTextEdit.ExtraSelection:
    """The whole-width background of ``line`` (0-based)."""
    sel = QTextEdit.ExtraSelection()
    sel.format.setBackground(DEBUG_LINE)
    sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
    sel.cursor = QTextCursor(document.findBlockByNumber(line))
    return sel


class DebugArrow(QWidget):
    """Paints the arrow at the editor's debug line, over the gutter ``gutter``."""

    def __init__(self, editor: QPlainTextEdit, gutter: QWidget) -> None:
        super().__init__(gutter)
        self._editor = editor
        self.line: int | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        gutter.installEventFilter(self)
        self.setGeometry(gutter.rect())
        self.hide()

    def set_line(self, line: int | None) -> None:
        self.line = line
        self.setVisible(line is not None)
        self.raise_()
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Paint) and isinstance(watched, QWidget):
            if self.geometry() != watched.rect():
                self.setGeometry(watched.rect())
            self.update()
        return False

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        if self.line is None:
            return
        block = self._editor.document().findBlockByNumber(self.line)
        if not block.isValid():
            return
        rect = self._editor.cursorRect(QTextCursor(block))
        h = self._editor.fontMetrics().height()
        top = rect.top() + (rect.height() - h) / 2
        size = min(h - 2, 12)
        x, y = 2.0, top + (h - size) / 2
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ARROW)
        shaft = size * 0.35
        painter.drawPolygon(QPolygonF([
            QPointF(x, y + size / 2 - shaft / 2), QPointF(x + size * 0.5, y + size / 2 - shaft / 2),
            QPointF(x + size * 0.5, y), QPointF(x + size, y + size / 2), QPointF(x + size * 0.5, y + size),
            QPointF(x + size * 0.5, y + size / 2 + shaft / 2), QPointF(x, y + size / 2 + shaft / 2),
        ]))
        painter.end()
