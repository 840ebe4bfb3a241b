"""rstudioapi's view of a text document: contents, selection, edits by range (QtGui only).

The editor tabs and the console input are QPlainTextEdits; these functions work on their
QTextDocument and QTextCursor, so they hold no widget and are tested without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtGui import QTextCursor, QTextDocument

from webr_desktop.core.doc_ranges import DocRange, clamp


def lines_of(document: QTextDocument) -> list[str]:
    """The document's lines, as rstudioapi's ``contents`` (one string a line)."""
    return document.toPlainText().split("\n")


def _lengths(document: QTextDocument) -> list[int]:
    block, out = document.begin(), []
    while block.isValid():
        out.append(block.length() - 1)
        block = block.next()
    return out or [0]


def _offset(document: QTextDocument, row: int, col: int) -> int:
    return document.findBlockByNumber(row).position() + col


def _row_col(document: QTextDocument, position: int) -> tuple[int, int]:
    block = document.findBlock(position)
    return block.blockNumber(), position - block.position()


def selection_of(cursor: QTextCursor) -> dict[str, Any]:
    """The cursor's selection as ``{range: 1-based [r1, c1, r2, c2], text}``."""
    document = cursor.document()
    start = _row_col(document, cursor.selectionStart())
    end = _row_col(document, cursor.selectionEnd())
    text = cursor.selectedText().replace("\u2029", "\n")  # Qt's paragraph separator
    return {"range": DocRange(*start, *end).as_r(), "text": text}


def context_of(document_id: str, path: str, cursor: QTextCursor) -> dict[str, Any]:
    """A document context as RStudio's ``.rs.api.getActiveDocumentContext`` returns it."""
    return {"id": document_id, "path": path, "contents": lines_of(cursor.document()),
            "selection": [selection_of(cursor)]}


def cursor_for(document: QTextDocument, raw: tuple[int | None, ...]) -> QTextCursor:
    """A cursor selecting ``raw`` (0-based, None = the end), clamped to the document."""
    rng = clamp(raw, _lengths(document))
    cursor = QTextCursor(document)
    cursor.setPosition(_offset(document, rng.start_row, rng.start_col))
    cursor.setPosition(_offset(document, rng.end_row, rng.end_col), QTextCursor.MoveMode.KeepAnchor)
    return cursor


def replace_ranges(document: QTextDocument, ranges: Sequence[tuple[int | None, ...]], texts: Sequence[str]) -> None:
    """Replace each range with its text in one undo step; later ranges first, so the
    positions of earlier ones hold (ranges are all read against the document before)."""
    cursors = [cursor_for(document, raw) for raw in ranges]
    order = sorted(range(len(cursors)), key=lambda i: cursors[i].selectionStart(), reverse=True)
    edit = QTextCursor(document)
    edit.beginEditBlock()
    try:
        for i in order:
            cursors[i].insertText(texts[i])
    finally:
        edit.endEditBlock()
