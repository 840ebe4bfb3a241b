"""Where R's debugger stands in an editor: an arrow in the gutter's marker column and the
line's background. The arrow is one of the editor's gutter painters (breakpoints are another)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF, QTextCursor, QTextFormat
from PySide6.QtWidgets import QTextEdit

if TYPE_CHECKING:
    from PySide6.QtGui import QTextBlock, QTextDocument

DEBUG_LINE = QColor("#fff2a8")  # RStudio's yellow
ARROW = QColor("#2e7d32")


def debug_line_selection(document: QTextDocument, line: int) -> QTextEdit.ExtraSelection:
    """The whole-width background of ``line`` (0-based)."""
    sel = QTextEdit.ExtraSelection()
    sel.format.setBackground(DEBUG_LINE)
    sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
    sel.cursor = QTextCursor(document.findBlockByNumber(line))
    return sel


class DebugArrow:
    """A gutter painter: the arrow at ``line`` (0-based; None draws nothing)."""

    def __init__(self) -> None:
        self.line: int | None = None

    def __call__(self, painter: QPainter, block: QTextBlock, rect: QRect) -> None:
        if self.line is None or block.blockNumber() != self.line:
            return
        size = min(rect.height() - 2, rect.width() - 2, 12)
        x, y = rect.left() + (rect.width() - size) / 2, rect.top() + (rect.height() - size) / 2
        shaft = size * 0.35
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("white"), 1.2))  # stands out on a breakpoint's red dot
        painter.setBrush(ARROW)
        painter.drawPolygon(QPolygonF([
            QPointF(x, y + size / 2 - shaft / 2), QPointF(x + size * 0.5, y + size / 2 - shaft / 2),
            QPointF(x + size * 0.5, y), QPointF(x + size, y + size / 2), QPointF(x + size * 0.5, y + size),
            QPointF(x + size * 0.5, y + size / 2 + shaft / 2), QPointF(x, y + size / 2 + shaft / 2),
        ]))
        painter.restore()
