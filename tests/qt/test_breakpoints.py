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
    qtbot.keyClick(editor, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)  # RStudio's key
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
    with qtbot.waitSignal(marks.sig_lines_moved):
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


# ---------------------------------------------------------------- the app's wiring, with fakes
import re  # noqa: E402

from PySide6.QtCore import QObject, QTimer, Signal  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from tests.qt.contract import assert_same_signals  # noqa: E402
from webr_desktop.app.panes.breakpoints import add_breakpoints  # noqa: E402
from webr_desktop.models.project import ProjectService  # noqa: E402
from webr_desktop.runtime.session import EvalRequest, RSession  # noqa: E402
from webr_desktop.ui.source.source_area import SourceArea  # noqa: E402


class FakeSession(QObject):
    """Answers .wd.bp_set as R does for a file never sourced (every line pending), later."""

    sig_starting = Signal()
    sig_started = Signal(object)
    sig_start_failed = Signal(str)
    sig_output_received = Signal(object)
    sig_prompt_shown = Signal(str)
    sig_command_finished = Signal()
    sig_settled = Signal()
    sig_input_sent = Signal(str, str)
    sig_busy_changed = Signal(bool)
    sig_closed = Signal(int)
    sig_crashed = Signal(str)
    sig_notice = Signal(str)
    sig_message_received = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.codes: list[str] = []

    def eval(self, code: str) -> EvalRequest:
        self.codes.append(code)
        request = EvalRequest(len(self.codes), code, parent=self)
        match = re.match(r'\.wd\.bp_set\("([^"]*)", (?:c\(([^)]*)\)|integer\(\))', code)
        if match:
            lines = [int(n.rstrip("L")) for n in (match.group(2) or "").split(", ") if n]
            answer = {"file": match.group(1), "gen": len(self.codes), "lines": [
                {"line": n, "state": "pending", "at": n, "fun": "", "reason": "not active yet"} for n in lines]}
            QTimer.singleShot(0, lambda: request.sig_finished.emit(answer))
        return request


class FakeProject(QObject):
    sig_folder_changed = Signal(object)
    sig_working_dir_changed = Signal(str)
    sig_problem = Signal(str)

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def r_path(self, host: Path) -> str | None:
        host = Path(host)
        return "/mnt/proj/" + host.relative_to(self.root).as_posix() if host.is_relative_to(self.root) else None


class FakeWindow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def show_problem(self, text: str) -> None:
        self.problems.append(text)


def test_fakes_offer_the_real_signals():
    assert_same_signals(FakeSession, RSession)
    assert_same_signals(FakeProject, ProjectService)


def _wired(qtbot, tmp_path: Path, settings: QSettings):
    window, session, project = FakeWindow(), FakeSession(), FakeProject(tmp_path)
    qtbot.addWidget(window)
    area = SourceArea(parent=window)
    service = add_breakpoints(window, session, project, settings, area)
    area.window_ref = window  # the window owns the area: keep it alive with the test's reference
    return area, session, service


def test_the_wiring_saves_sends_waits_for_saves_and_follows_save_as(qtbot, tmp_path: Path):
    ini = str(tmp_path / "settings.ini")
    script = tmp_path / "w.R"
    script.write_text(SCRIPT)
    area, session, service = _wired(qtbot, tmp_path, QSettings(ini, QSettings.Format.IniFormat))
    editor = area.editor.open_file(script)
    gutter = editor.findChild(BreakpointGutter)
    qtbot.keyClick(editor, Qt.Key.Key_F9)  # line 1
    qtbot.waitUntil(lambda: gutter.status(1) is not None)
    assert session.codes[-1] == '.wd.bp_set("/mnt/proj/w.R", c(1L))'
    assert gutter.status(1).state == "pending" and not gutter.is_filled(1)

    # Unsaved edits: saved in settings, not sent (R's file has the old lines) until the save.
    sent = len(session.codes)
    editor.textCursor().insertText("# top\n")
    assert gutter.marks.lines() == [2] and gutter.tooltip(2) == UNSAVED
    assert len(session.codes) == sent
    assert area.editor.save(editor)
    qtbot.waitUntil(lambda: gutter.status(2) is not None)
    assert session.codes[-1] == '.wd.bp_set("/mnt/proj/w.R", c(2L))'

    # Save As: the breakpoints follow the file; R drops the old name's.
    other = tmp_path / "sub" / "v.R"
    other.parent.mkdir()
    assert area.editor.save_as(editor, other)
    qtbot.waitUntil(lambda: '.wd.bp_set("/mnt/proj/sub/v.R", c(2L))' in session.codes)
    assert '.wd.bp_set("/mnt/proj/w.R", integer())' in session.codes
    settings = QSettings(ini, QSettings.Format.IniFormat)
    assert BreakpointStore(settings).lines(other.resolve()) == [2]
    assert BreakpointStore(settings).lines(script.resolve()) == []

    # Reopened in a new area with a new QSettings (an app restart): the dot is back.
    area2, session2, _ = _wired(qtbot, tmp_path, QSettings(ini, QSettings.Format.IniFormat))
    editor2 = area2.editor.open_file(other)
    assert editor2.findChild(BreakpointGutter).marks.lines() == [2]
    assert session2.codes == ['.wd.bp_set("/mnt/proj/sub/v.R", c(2L))']

    # A file outside the project: R is told its name in tempdir(), where it is sourced from.
    outside = tmp_path.parent / f"{tmp_path.name}-outside.R"
    outside.write_text(SCRIPT)
    try:
        editor3 = area2.editor.open_file(outside)
        qtbot.keyClick(editor3, Qt.Key.Key_F9)
        assert session2.codes[-1] == f'.wd.bp_set("{outside.name}", c(1L), temp = TRUE)'
    finally:
        outside.unlink()


def test_hostile_status_answers_are_dropped(qtbot, tmp_path: Path):
    area, session, service = _wired(qtbot, tmp_path, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    script = tmp_path / "h.R"
    script.write_text(SCRIPT)
    editor = area.editor.open_file(script)
    qtbot.keyClick(editor, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: service.statuses(script.resolve()) != {})
    before = service.statuses(script.resolve())
    for bad in (None, 3, [], {"gen": "x"}, {"gen": 9, "files": "x"}, {"gen": 9, "files": [{"file": ["x"]}]},
                {"gen": 9, "files": [{"file": "/mnt/proj/h.R", "lines": [{"line": -1, "state": "placed"}]}]}):
        service._on_status(bad)  # what R's .wd.bp_status could answer
        assert service.statuses(script.resolve()) == before or bad is not None and "lines" in str(bad)
    # The last names the file with no valid line: no status is made up (the dot stays hollow).
    assert service.statuses(script.resolve()) == {}
    assert not editor.findChild(BreakpointGutter).is_filled(1)


def test_f9_in_an_editor_toggles_that_editor_even_beside_the_window_f9_action(qtbot):
    """The window's Debug ▸ Toggle Breakpoint (F9) acts on the *current* tab; F9 typed in an
    editor must toggle that editor's line, never another tab's (a debug tab the debugger just
    made current)."""
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    editor = CodeEditor()
    editor.setPlainText(SCRIPT)
    window.setCentralWidget(editor)
    fired: list[bool] = []
    action = QAction("Toggle Breakpoint", window)
    action.setShortcut(QKeySequence("F9"))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda: fired.append(True))
    window.addAction(action)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    with qtbot.waitSignal(editor.sig_toggle_breakpoint_requested) as got:
        qtbot.keyClick(editor, Qt.Key.Key_F9)
    assert got.args == [1]
    assert fired == []


def test_an_answer_after_the_window_is_gone_is_dropped(qtbot, tmp_path: Path):
    """The session outlives a window (Restart-free tests, a second window): R's answer to a
    breakpoint request sent just before the window closed finds its service deleted."""
    from PySide6.QtCore import QCoreApplication, QEvent

    window, session, project = FakeWindow(), FakeSession(), FakeProject(tmp_path)
    service = add_breakpoints(window, session, project, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                              SourceArea(parent=window))
    held: list[EvalRequest] = []
    real_eval = session.eval
    session.eval = lambda code: held.append(real_eval(code)) or held[-1]  # type: ignore[method-assign]
    service.set_lines(tmp_path / "gone.R", [3])
    service.deleteLater()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # both gone, R not yet answered
    with qtbot.captureExceptions() as raised:
        held[0].sig_finished.emit({"file": "/mnt/proj/gone.R", "gen": 1, "lines": [
            {"line": 3, "state": "pending", "at": 3, "fun": "", "reason": "not active yet"}]})
        held[0].sig_failed.emit("an error")
        session.sig_settled.emit()
    assert raised == []
