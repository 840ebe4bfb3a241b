"""rstudioapi's view of a text document (models/document_edits.py) on a real QTextDocument."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument

from webr_desktop.models.document_edits import context_of, cursor_for, replace_ranges


def _doc(text: str) -> QTextDocument:
    return QTextDocument(text)


def test_context_has_lines_and_a_1_based_selection(qapp) -> None:
    doc = _doc("a <- 1\nb <- 'é😀'\n")
    cursor = cursor_for(doc, (1, 5, 1, 9))
    ctx = context_of("7", "/p/x.R", cursor)
    assert ctx["contents"] == ["a <- 1", "b <- 'é😀'", ""]
    assert ctx["selection"] == [{"range": [2, 6, 2, 10], "text": "'é😀"}]  # columns count UTF-16 units


def test_multi_line_selection_text_uses_newlines(qapp) -> None:
    doc = _doc("one\ntwo\n")  # held: a cursor does not keep its document alive
    cursor = cursor_for(doc, (0, 1, 1, 2))
    assert context_of("1", "", cursor)["selection"][0]["text"] == "ne\ntw"


def test_replacements_apply_against_the_original_positions_in_one_undo_step(qapp) -> None:
    doc = _doc("aaa\nbbb\nccc")
    replace_ranges(doc, [(0, 0, 0, 1), (2, 3, 2, 3), (1, 0, 1, 3)], ["X", "!", "B\nB"])
    assert doc.toPlainText() == "Xaa\nB\nB\nccc!"
    doc.undo()
    assert doc.toPlainText() == "aaa\nbbb\nccc"


def test_out_of_range_positions_clamp(qapp) -> None:
    doc = _doc("ab\ncd")
    replace_ranges(doc, [(None, None, None, None), (0, 99, 0, 99)], ["<end>", "<eol>"])
    assert doc.toPlainText() == "ab<eol>\ncd<end>"
    cursor = cursor_for(doc, (9, 0, 0, 0))  # reversed and past the end: the whole document
    assert cursor.selectionStart() == 0 and cursor.position() == doc.characterCount() - 1
