"""Editor breakpoints as widgets: toggling (gutter click, F9), the dots as painted, lines that
follow edits, tooltips, and the per-file store across an editor reopen and a new QSettings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QColor, QImage, QTextCursor

from webr_desktop.models.breakpoints import BreakpointStore, LineMarks, LineStatus
from webr_desktop.ui.editor.breakpoint_gutter import DOT, UNSAVED, BreakpointGutter
from webr_desktop.ui.editor.code_editor import CodeEditor

SCRIPT = "f <- function(x) {\n  y <- x + 1\n  z <- y * 2\n\n  z\n}\n"


def _editor(qtbot, text: str = SCRIPT) -> tuple[CodeEditor, LineMarks, BreakpointGutter]:
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(text)
    editor.resize(400, 300)
    editor.show()
    qtbot.waitExposed(editor)
    marks = LineMarks(editor.document(), editor)
    return editor, marks, BreakpointGutter(editor, marks)


def _click_line(qtbot, editor: CodeEditor, gutter: BreakpointGutter, line: int) -> None:
    qtbot.mouseClick(editor.gutter, Qt.MouseButton.LeftButton, pos=gutter.tooltip_pos(line))


def _dot_pixels(editor: CodeEditor, gutter: BreakpointGutter, line: int) -> tuple[QColor, int]:
    """(the colour at the dot's centre, how many red pixels the dot's cell has)."""
    editor.gutter.repaint()
    image: QImage = editor.gutter.grab().toImage()
    centre = gutter.tooltip_pos(line)
    scale = image.width() / editor.gutter.width()
    cx, cy = int(centre.x() * scale), int(centre.y() * scale)
    red = 0
    half = int(8 * scale)
    for y in range(cy - half, cy + half):
        for x in range(max(0, cx - half), cx + half):
            c = QColor(image.pixel(x, y))
            red += c.red() > 180 and c.green() < 110 and c.blue() < 110
    return QColor(image.pixel(cx, cy)), red


def test_gutter_click_and_f9_toggle_and_paint_a_red_dot(qtbot):
    editor, marks, gutter = _editor(qtbot)
    assert _dot_pixels(editor, gutter, 3)[1] == 0
    with qtbot.waitSignal(marks.sig_lines_changed) as got:
        _click_line(qtbot, editor, gutter, 3)
    assert got.args == [[3]]
    gutter.set_statuses({3: LineStatus(3, "placed", 3, "f")})
    centre, red = _dot_pixels(editor, gutter, 3)
    assert centre.red() > 180 and centre.green() < 110, centre.name()  # filled
    assert red > 20
    assert _dot_pixels(editor, gutter, 2)[1] == 0  # only that line

    # F9 toggles the cursor's line.
    cursor = editor.textCursor()
    cursor.setPosition(editor.document().findBlockByNumber(4).position() + 1)
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, Qt.Key.Key_F9)
    assert marks.lines() == [3, 5]
    qtbot.keyClick(editor, Qt.Key.Key_F9)
    assert marks.lines() == [3]
    _click_line(qtbot, editor, gutter, 3)  # a second click clears it
    assert marks.lines() == []
    assert _dot_pixels(editor, gutter, 3)[1] == 0


def test_a_line_r_cannot_stop_on_is_a_hollow_dot_with_a_tooltip(qtbot):
    editor, marks, gutter = _editor(qtbot)
    marks.toggle(4)
    reason = "a blank line: R has nothing to stop on"
    gutter.set_statuses({4: LineStatus(4, "invalid", 4, reason=reason)})
    centre, red = _dot_pixels(editor, gutter, 4)
    assert centre.red() > 240 and centre.green() > 240, centre.name()  # white inside
    assert red > 10  # a red ring
    assert gutter.tooltip(4) == f"Breakpoint not placed: {reason}"
    assert "R stops here" in LineStatus(3, "placed", 3, "f").tooltip()
    assert "line 2" in LineStatus(3, "placed", 2, "f").tooltip()
    gutter.set_statuses({}, UNSAVED)
    assert gutter.tooltip(4) == UNSAVED and not gutter.is_filled(4)


def test_breakpoints_follow_inserted_and_deleted_lines(qtbot):
    editor, marks, _gutter = _editor(qtbot)
    marks.toggle(3)
    marks.toggle(5)
    doc = editor.document()
    cursor = QTextCursor(doc)  # two lines inserted above both
    cursor.insertText("# one\n# two\n")
    assert marks.lines() == [5, 7]
    # Enter at the very start of a breakpoint's line carries it down with its code.
    cursor.setPosition(doc.findBlockByNumber(4).position())
    cursor.insertText("\n")
    assert marks.lines() == [6, 8]
    assert doc.findBlockByNumber(5).text() == "  z <- y * 2"
    # Typing inside the line keeps it there.
    cursor.setPosition(doc.findBlockByNumber(5).position() + 2)
    cursor.insertText("zz")
    assert marks.lines() == [6, 8]
    # Deleting lines above moves it up.
    cursor.setPosition(0)
    cursor.setPosition(doc.findBlockByNumber(2).position(), QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    assert marks.lines() == [4, 6]
    # Deleting the breakpoint's whole line removes the breakpoint.
    block = doc.findBlockByNumber(3)
    cursor.setPosition(block.position())
    cursor.setPosition(block.next().position(), QTextCursor.MoveMode.KeepAnchor)
    with qtbot.waitSignal(marks.sig_lines_changed):
        cursor.removeSelectedText()
    assert marks.lines() == [5]
    # Joining a line onto the one above takes its breakpoint along; two merge into one.
    marks.toggle(4)
    cursor.setPosition(doc.findBlockByNumber(4).position())
    cursor.deletePreviousChar()
    assert marks.lines() == [4]


def test_breakpoints_persist_per_file_across_reopen_and_a_new_settings_object(qtbot, tmp_path: Path):
    ini = str(tmp_path / "settings.ini")
    store = BreakpointStore(QSettings(ini, QSettings.Format.IniFormat))
    a, b = tmp_path / "a.R", tmp_path / "b.R"
    editor, marks, _gutter = _editor(qtbot)
    marks.sig_lines_changed.connect(lambda lines: store.set_lines(a, lines))
    marks.toggle(2)
    marks.toggle(5)
    store.set_lines(b, [1])
    editor.close()
    # The app restarts: a new QSettings on the same file, a new editor for a.R.
    settings = QSettings(ini, QSettings.Format.IniFormat)
    store2 = BreakpointStore(settings)
    assert store2.lines(a) == [2, 5] and store2.lines(b) == [1]
    editor2, marks2, gutter2 = _editor(qtbot)
    marks2.set_lines(store2.lines(a))
    assert marks2.lines() == [2, 5]
    assert _dot_pixels(editor2, gutter2, 5)[1] > 10
    store2.move(a, tmp_path / "c.R")  # Save As / rename
    assert store2.lines(a) == [] and store2.lines(tmp_path / "c.R") == [2, 5]
    settings.setValue("editor/breakpoints", "not json")  # a damaged value costs nothing else
    assert BreakpointStore(settings).lines(b) == []


def test_marker_column_leaves_line_numbers_readable(qtbot):
    editor, marks, gutter = _editor(qtbot)
    marks.toggle(1)
    gutter.set_statuses({1: LineStatus(1, "placed", 1, "f")})
    assert editor.gutter_width() > editor.fontMetrics().horizontalAdvance("999") + 16
    assert editor.block_at_y(gutter.tooltip_pos(2).y()).blockNumber() == 1
    assert not editor.block_at_y(10_000).isValid()
    assert QPoint(0, 0) != gutter.tooltip_pos(1)
    assert DOT.red() > 180


def test_statuses_from_r_are_checked_before_use():
    good = {"line": 3, "state": "placed", "at": 2, "fun": "f", "reason": ""}
    assert LineStatus.from_r(good) == LineStatus(3, "placed", 2, "f", "")
    for bad in (None, "x", [], {"line": "three", "state": "placed"}, {"line": 3, "state": "evil"},
                {"state": "placed"}, {"line": 3, "state": "placed", "at": []}):
        assert LineStatus.from_r(bad) is None, bad
