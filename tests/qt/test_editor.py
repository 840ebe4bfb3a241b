"""The script editor on its own: run keys, editing keys, find/replace, files, recovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox

from tests.qt.contract import assert_same_signals
from webr_desktop.core.recovery import Buffer
from webr_desktop.models.completion import CompletionService
from webr_desktop.ui.editor.code_editor import CodeEditor
from webr_desktop.ui.editor.editor_tabs import EditorTabs

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier

SCRIPT = """x <- 1

# a comment
f <- function(a,
              b) {
  a + b
}
y <- 2
"""


class FakeCompletions(QObject):
    """Answers like CompletionService, from a fixed table, on the next event loop turn."""

    sig_completed = Signal(int, str, list)
    sig_problem = Signal(str)

    def __init__(self, table: dict[str, list[str]]) -> None:
        super().__init__()
        self._table = table
        self._n = 0

    def complete(self, line: str, cursor: int) -> int:
        self._n += 1
        n = self._n
        token = line[:cursor].split(" ")[-1]
        QTimer.singleShot(0, lambda: self.sig_completed.emit(n, token, self._table.get(token, [])))
        return n


def test_fake_completions_match_the_real_service() -> None:
    assert_same_signals(FakeCompletions, CompletionService)


def _editor(qtbot, text: str = SCRIPT) -> CodeEditor:
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(text)
    return editor


def _put_cursor(editor: CodeEditor, line: int, col: int = 0) -> None:
    cursor = QTextCursor(editor.document().findBlockByNumber(line))
    cursor.movePosition(QTextCursor.MoveOperation.Right, n=col)
    editor.setTextCursor(cursor)


def test_ctrl_enter_sends_exactly_the_line_and_advances(qtbot) -> None:
    editor = _editor(qtbot)
    _put_cursor(editor, 0, 3)
    with qtbot.waitSignal(editor.sig_run_code) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL)
    assert blocker.args == ["x <- 1"]
    assert editor.textCursor().blockNumber() == 3  # blank line and comment skipped


def test_a_three_line_expression_runs_whole(qtbot) -> None:
    editor = _editor(qtbot)
    _put_cursor(editor, 4)  # the middle line of f <- function(a,\n b) {\n ...}
    with qtbot.waitSignal(editor.sig_run_code) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL)
    assert blocker.args == ["f <- function(a,\n              b) {\n  a + b\n}"]
    assert editor.textCursor().blockNumber() == 7
    call = _editor(qtbot, "plot(x,\n     y,\n     main = 'a')\n")
    _put_cursor(call, 2)
    with qtbot.waitSignal(call.sig_run_code) as blocker:
        qtbot.keyClick(call, Qt.Key.Key_Return, CTRL)
    assert blocker.args == ["plot(x,\n     y,\n     main = 'a')"]


def test_selection_runs_the_selection(qtbot) -> None:
    editor = _editor(qtbot)
    cursor = editor.textCursor()
    cursor.setPosition(5)
    cursor.setPosition(6, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    with qtbot.waitSignal(editor.sig_run_code) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL)
    assert blocker.args == ["1"]


def test_source_keys_request_with_and_without_echo(qtbot) -> None:
    editor = _editor(qtbot)
    with qtbot.waitSignal(editor.sig_source_requested) as echo:
        qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL | SHIFT)
    with qtbot.waitSignal(editor.sig_source_requested) as quiet:
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL | SHIFT)
    assert (echo.args, quiet.args) == ([True], [False])


def test_comment_toggle_adds_and_removes_hash_space(qtbot) -> None:
    editor = _editor(qtbot, "a <- 1\n  b <- 2\n")
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_C, CTRL | SHIFT)
    assert editor.toPlainText() == "# a <- 1\n#   b <- 2\n"
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_C, CTRL | SHIFT)
    assert editor.toPlainText() == "a <- 1\n  b <- 2\n"


def test_indentation_follows_braces(qtbot) -> None:
    editor = _editor(qtbot, "")
    qtbot.keyClicks(editor, "f <- function() {")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "x")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "}")
    assert editor.toPlainText() == "f <- function() {\n  x\n}"
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "  f <- function() {\n    x\n  }"
    qtbot.keyClick(editor, Qt.Key.Key_Backtab)
    assert editor.toPlainText() == "f <- function() {\n  x\n}"


def test_find_and_replace(qtbot) -> None:
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    editor = tabs.new_file("mean(x)\nMean(y)\nmean(z)\n")
    tabs.open_find(replace=True)
    bar = tabs.find_bar
    bar.find_field.setText("mean")
    assert bar.find()
    assert editor.textCursor().blockNumber() == 0
    qtbot.keyClick(bar.find_field, Qt.Key.Key_Return)
    assert editor.textCursor().blockNumber() == 1  # case-insensitive by default
    qtbot.keyClick(bar.find_field, Qt.Key.Key_Return, SHIFT)
    assert editor.textCursor().blockNumber() == 0
    bar.case_box.setChecked(True)
    bar.replace_field.setText("median")
    assert bar.replace_all() == 2
    assert editor.toPlainText() == "median(x)\nMean(y)\nmedian(z)\n"
    editor.undo()
    assert editor.toPlainText() == "mean(x)\nMean(y)\nmean(z)\n"  # one undo step


def test_save_keeps_crlf_utf8_and_the_missing_final_newline(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "é.R"
    path.write_bytes("x <- 'é'\r\ny <- 2".encode())
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    editor = tabs.open_file(path)
    assert editor is not None and editor.toPlainText() == "x <- 'é'\ny <- 2"
    editor.moveCursor(QTextCursor.MoveOperation.End)
    editor.insertPlainText(" # ü")  # QTest can only type ASCII
    assert tabs.save()
    assert path.read_bytes() == "x <- 'é'\r\ny <- 2 # ü".encode()
    assert tabs.open_file(path) is editor and tabs.tabs.count() == 1  # refocused, not reopened


def test_a_file_that_is_not_utf8_is_refused_and_left_alone(qtbot, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "latin1.R"
    path.write_bytes("x <- 'é'\n".encode("latin-1"))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    assert tabs.open_file(path) is None
    assert tabs.tabs.count() == 0 and "not UTF-8" in shown[0]
    assert path.read_bytes() == "x <- 'é'\n".encode("latin-1")


@pytest.mark.parametrize("answer", ["Cancel", "Discard", "Save"])
def test_dirty_marker_and_close_prompt(qtbot, tmp_path: Path, monkeypatch, answer: str) -> None:
    path = tmp_path / "a.R"
    path.write_text("x\n")
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    editor = tabs.open_file(path)
    assert editor is not None
    assert tabs.tabs.tabText(0) == "a.R"
    qtbot.keyClicks(editor, "y")
    assert tabs.tabs.tabText(0) == "a.R *"
    asked: list[str] = []

    def question(*args, **kwargs):
        asked.append(args[2])
        return getattr(QMessageBox.StandardButton, answer)

    monkeypatch.setattr(QMessageBox, "question", question)
    closed = tabs.close_tab(0)
    assert asked == ["Save the changes to a.R?"]
    assert closed == (answer != "Cancel")
    assert path.read_text() == ("yx\n" if answer == "Save" else "x\n")


def test_unsaved_buffers_round_trip(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "b.R"
    path.write_text("1\n")
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    tabs.new_file("clean")  # not dirty: not a buffer to keep
    untitled = tabs.new_file()
    with qtbot.waitSignal(tabs.sig_buffers_changed):
        qtbot.keyClicks(untitled, "draft <- 1")
    opened = tabs.open_file(path)
    assert opened is not None
    qtbot.keyClicks(opened, "2 + ")
    buffers = tabs.unsaved_buffers()
    assert [(b.title, b.path, b.text) for b in buffers] == [
        ("Untitled2", None, "draft <- 1"), ("b.R", str(path.resolve()), "2 + 1\n"),
    ]
    assert tabs.unsaved_buffers()[0].key == buffers[0].key  # stable per tab
    again = EditorTabs()
    qtbot.addWidget(again)
    again.restore_buffers(buffers)
    assert [(b.key, b.title, b.path, b.text) for b in again.unsaved_buffers()] == [
        (b.key, b.title, b.path, b.text) for b in buffers
    ]
    assert again.tabs.tabText(1) == "b.R *"
    restored = Buffer("k9", "Untitled9", None, "z")
    again.restore_buffers([restored])
    assert again.unsaved_buffers()[-1] == restored


def test_source_saves_a_dirty_file_first(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "s.R"
    path.write_text("a <- 1\n")
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    editor = tabs.open_file(path)
    assert editor is not None
    qtbot.keyClicks(editor, "b <- 2")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    with qtbot.waitSignal(tabs.sig_source_requested) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL | SHIFT)
    assert blocker.args == [str(path.resolve()), "b <- 2\na <- 1\n", False]
    assert path.read_text() == "b <- 2\na <- 1\n" and not tabs.is_dirty(editor)


def test_a_10000_line_file_opens_and_highlights(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "big.R"
    path.write_text(SCRIPT * 1250)
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    editor = tabs.open_file(path)  # its speed: bench/widgets.py's editor_open_10k_ms
    assert editor is not None and editor.blockCount() == 10_001
    qtbot.waitUntil(lambda: not editor.highlighter.pending)  # the rest is coloured in idle chunks
    last = editor.document().findBlockByNumber(9_997)  # "  a + b" near the end
    assert last.layout().formats(), "the end of the file is highlighted"
    editor.highlighter.blocks_highlighted = 0
    _put_cursor(editor, 5_000)
    qtbot.keyClicks(editor, "z")
    assert editor.highlighter.blocks_highlighted <= 2  # a keystroke re-lexes one line


@pytest.mark.qt_log_ignore("This plugin does not support")  # the offscreen platform and popups
def test_completion_popup_with_a_fake_service(qtbot) -> None:
    fake = FakeCompletions({"mea": ["mean", "mean.Date"], "mtc": ["mtcars"]})
    editor = CodeEditor(fake)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClicks(editor, "x <- mtc")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: editor.toPlainText() == "x <- mtcars")  # a single candidate is inserted
    qtbot.keyClicks(editor, " + mea")
    qtbot.keyClick(editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(editor.completion.is_visible)
    assert editor.completion.model.stringList() == ["mean", "mean.Date"]
    qtbot.keyClick(editor.completion.completer.popup(), Qt.Key.Key_Return)
    assert editor.toPlainText() == "x <- mtcars + mean"


def test_tabs_follow_a_rename_and_keep_a_deleted_files_text(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "R"
    folder.mkdir()
    path = folder / "a.R"
    path.write_text("x <- 1\n", encoding="utf-8")
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    editor = tabs.open_file(path)
    (tmp_path / "src").mkdir()
    path.rename(tmp_path / "src" / "b.R")
    folder.rmdir()
    tabs.follow_rename(folder / "a.R", tmp_path / "src" / "b.R")
    assert tabs.path_of(editor) == tmp_path / "src" / "b.R" and tabs.tabs.tabText(0) == "b.R"
    tabs.follow_rename(tmp_path / "src", tmp_path / "lib")  # a folder above it
    assert tabs.path_of(editor) == tmp_path / "lib" / "b.R"
    assert not tabs.is_dirty(editor)
    tabs.mark_deleted([tmp_path / "lib"])
    assert tabs.is_dirty(editor) and tabs.tabs.tabText(0) == "b.R *"
    assert [b.text for b in tabs.unsaved_buffers()] == ["x <- 1\n"]
    editor.document().setModified(False)
