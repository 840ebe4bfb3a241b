"""The editor on big buffers: budgeted highlighting, incremental Ctrl+Enter, both equal to a full pass."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QTextCursor

from webr_desktop.core.r_statements import expression_range
from webr_desktop.ui.editor import highlighter
from webr_desktop.ui.editor.code_editor import CodeEditor
from webr_desktop.ui.editor.editor_tabs import EditorTabs

LINES = [
    "x <- 1", "f <- function(a,", "  b) {", "}", "if (x)", "  print(1)", "else", "y", "s <- 'a", "b('",
    'r <- r"(', 'a ) "(" ]', ')"', "mtcars %>%", "  head()", "# c (", "", "   ", "z <- c(1,", "  2)",
    "for (i in 1:3)", "g(h(", "))", "x[[1", "]]", "\\(x) x", "x +", "repeat", "{", "a; b", '"q\\"', 'p"',
    "`a b` <- 1", "function(x)", "plot(x, main = \"t(\")  # (", "y <- r'[a]'",
]
EDITS = ["(", ")", "'", '"', "\n", "\n\n", "{", "}", "x", " # '", 'r"(', ')"', "+", "\nz <- 2\n"]


def _generated(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "\n".join(rng.choice(LINES) for _ in range(n)) + "\n"


def _formats(editor: CodeEditor) -> list[list[tuple[int, int, str]]]:
    out = []
    block = editor.document().begin()
    while block.isValid():
        out.append([(r.start, r.length, r.format.foreground().color().name()) for r in block.layout().formats()])
        block = block.next()
    return out


def _settled(qtbot, editor: CodeEditor) -> CodeEditor:
    qtbot.waitUntil(lambda: not editor.highlighter.pending, timeout=60_000)
    return editor


def _fresh(qtbot, text: str) -> CodeEditor:
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(text)
    return _settled(qtbot, editor)


def _random_edit(editor: CodeEditor, rng: random.Random) -> None:
    doc = editor.document()
    cursor = QTextCursor(doc)
    pos = rng.randrange(doc.characterCount())
    cursor.setPosition(pos)
    if rng.random() < 0.3:
        cursor.setPosition(min(doc.characterCount() - 1, pos + rng.randrange(1, 40)), QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText(rng.choice(EDITS) if rng.random() < 0.8 else "")


def test_opening_a_10000_line_file_colours_the_top_at_once_and_the_rest_in_idle_chunks(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "big.R"
    path.write_text(_generated(10_000, 1))
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    tabs.resize(800, 600)
    tabs.show()
    editor = tabs.open_file(path)
    assert editor is not None and editor.blockCount() == 10_001
    hl = editor.highlighter
    # before the event loop ran once: the top is coloured, most of the file is not lexed yet
    assert all(hl.is_highlighted(n) for n in range(60))
    assert any(editor.document().findBlockByNumber(n).layout().formats() for n in range(10))
    assert hl.pending and hl.blocks_highlighted < 5_000
    _settled(qtbot, editor)
    assert hl.is_highlighted(10_000) and hl.blocks_highlighted >= 10_001
    assert _formats(editor) == _formats(_fresh(qtbot, editor.toPlainText()))


@pytest.mark.parametrize("budget", [highlighter.BUDGET_S, 0.0])
def test_colours_after_random_edits_equal_a_fresh_highlight(qtbot, monkeypatch, budget: float) -> None:
    """Budget 0 lexes one line per pass: every edit runs into pending lines and idle chunks."""
    monkeypatch.setattr(highlighter, "BUDGET_S", budget)
    rng = random.Random(7)
    editor = _settled(qtbot, _fresh(qtbot, _generated(300, 2)))
    for round_ in range(6):
        for _ in range(8):
            _random_edit(editor, rng)
        if round_ % 2:
            _settled(qtbot, editor)
    _settled(qtbot, editor)
    assert _formats(editor) == _formats(_fresh(qtbot, editor.toPlainText()))


@pytest.mark.parametrize("budget", [highlighter.BUDGET_S, 0.0])
def test_ctrl_enter_ranges_equal_a_full_tokenize_after_edits(qtbot, monkeypatch, budget: float) -> None:
    """Ranges read from the highlighter's line states (lexing pending lines on demand) match
    r_statements.expression_range on the whole text, at random lines of a big generated file."""
    monkeypatch.setattr(highlighter, "BUDGET_S", budget)
    rng = random.Random(11)
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(_generated(3_000, 3))
    for _ in range(12):
        text = editor.toPlainText()
        for line in rng.sample(range(editor.blockCount()), 15):
            assert editor.expression_at(line) == expression_range(text, line), line
        for _ in range(rng.randrange(1, 4)):
            _random_edit(editor, rng)


def test_ctrl_enter_after_an_edit_does_not_retokenize_the_buffer(qtbot) -> None:
    editor = _fresh(qtbot, _generated(10_000, 4))
    assert editor.expression_at(9_990) == expression_range(editor.toPlainText(), 9_990)
    cursor = QTextCursor(editor.document().findBlockByNumber(5_000))
    cursor.insertText("(")
    lexed = editor.highlighter.blocks_highlighted
    found = editor.expression_at(9_990)
    assert editor.highlighter.blocks_highlighted == lexed  # no line lexed again
    assert found == expression_range(editor.toPlainText(), 9_990)
    # Its speed is bench/widgets.py's ctrl_enter_after_edit_ms (~3 ms quiet, ~11 ms at --load 2).


def test_multi_line_and_raw_strings_are_coloured_across_lines(qtbot) -> None:
    editor = _fresh(qtbot, 'x <- r"(\nno ( code " here\n)"\ns <- "a\nb"\nf(1)\n')
    string = QColor(highlighter.PALETTE["string"][0]).name()
    doc = editor.document()
    assert _formats(editor)[1] == [(0, len(doc.findBlockByNumber(1).text()), string)]
    assert (0, 2, string) in _formats(editor)[4]  # b" closes the string
    assert _formats(editor)[5][0] == (0, 1, QColor(highlighter.PALETTE["function"][0]).name())
    cursor = QTextCursor(doc.findBlockByNumber(2))
    cursor.movePosition(QTextCursor.MoveOperation.Right)
    cursor.insertText("x")  # )x" no longer closes the raw string: the lines below become string
    _settled(qtbot, editor)
    assert _formats(editor)[5] == [(0, 4, string)]


def test_function_calls_stand_out_from_plain_names() -> None:
    colour = QColor(highlighter.PALETTE["function"][0])
    assert colour.saturation() > 100 and colour.lightness() > 60  # not near-black like #00006e


def test_replacing_lines_in_place_updates_ctrl_enter(qtbot) -> None:
    editor = _fresh(qtbot, "f(\n)\ny <- 1\n")
    assert editor.expression_at(2) == (2, 2)
    cursor = QTextCursor(editor.document())
    cursor.setPosition(len("f(\n)"), QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText("g\n(")  # same line count, other brackets: line 1 now opens one
    assert editor.expression_at(2) == expression_range(editor.toPlainText(), 2) == (1, 3)


def test_a_keystroke_relexes_one_line_only(qtbot) -> None:
    editor = _fresh(qtbot, _generated(2_000, 5))
    before = editor.highlighter.blocks_highlighted
    QTextCursor(editor.document().findBlockByNumber(1_000)).insertText("zz ")
    assert editor.highlighter.blocks_highlighted == before + 1


def test_ctrl_enter_in_a_new_empty_editor_runs_nothing(qtbot) -> None:
    editor = CodeEditor()
    qtbot.addWidget(editor)
    sent: list[str] = []
    editor.sig_run_code.connect(sent.append)
    editor.run_current()
    assert editor.expression_at(0) is None and sent == []
