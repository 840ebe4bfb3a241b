"""Editor breakpoints against the real webR, in the IDE window as webr_desktop.app wires it:
placed when the file is sourced (Ctrl+Shift+Enter and source() typed at the console), at once
for functions already defined, reported where R can't stop, cleared by untracing, re-placed
after Restart R; and a breakpoint on line 3 stops R there in the browser.

Screenshots go to $WD_SCREENSHOTS if set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QSettings, Qt
from PySide6.QtGui import QHelpEvent, QImage, QPainter
from PySide6.QtWidgets import QApplication

from webr_desktop.runtime.session import SessionState
from webr_desktop.ui.editor.breakpoint_gutter import BreakpointGutter

from tests.webengine.driver import ide_window

pytestmark = pytest.mark.webengine

CALC = """calc <- function(x) {
  y <- x + 1
  z <- y * 2

  # a comment
  z + 1
}
top <- 1
"""
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
ORIGINAL_SOURCE = 'identical(base::source, get(".wd.bp_source_orig", "tools:webr_desktop"))'
TRACED = 'inherits(get0("{name}", globalenv()), "functionWithTrace")'
# Where R is stopped: the srcref line of the call in the browsed function's frame that runs the
# traced step (sys.calls() of this eval, which webR runs inside the browser's read of input).
STOPPED_LINE = """local({
  calls <- sys.calls()
  fns <- lapply(seq_along(calls), sys.function)
  i <- which(vapply(fns, function(f) identical(attr(f, "original") %||% f, calc) ||
                            inherits(f, "functionWithTrace"), NA))[1L]
  sr <- attr(calls[[i + 1L]], "srcref")
  c(line = sr[[1L]], file = basename(attr(sr, "srcfile")$filename))
})"""


def _window(shared, qtbot, tmp_path: Path, settings: QSettings | None = None):
    settings = settings or QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window, console = ide_window(shared, tmp_path, settings)
    qtbot.addWidget(window)
    window.resize(760, 560)
    window.show()
    qtbot.waitExposed(window)
    return window, console


def _open(window, qtbot, path: Path):
    editor = window.editor.open_file(path)
    gutter = editor.findChild(BreakpointGutter)
    assert gutter is not None
    return editor, gutter


def _toggle(qtbot, editor, line: int) -> None:
    """F9 on ``line``, as a user does."""
    cursor = editor.textCursor()
    cursor.setPosition(editor.document().findBlockByNumber(line - 1).position())
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, Qt.Key.Key_F9)


def _state(gutter, line: int) -> str | None:
    status = gutter.status(line)
    return None if status is None else status.state


def _idle(shared, qtbot) -> None:
    qtbot.waitUntil(lambda: shared.session.state is SessionState.IDLE, timeout=15_000)


def _shot(widget, name: str, tooltip_at: QPoint | None = None) -> None:
    """The widget as painted, with the tooltip shown (a window of its own) drawn in."""
    target = os.environ.get("WD_SCREENSHOTS")
    if not target:
        return
    image: QImage = widget.grab().toImage()
    tip = next((w for w in QApplication.topLevelWidgets() if w.metaObject().className() == "QTipLabel"
                and w.isVisible()), None)
    if tooltip_at is not None and tip is not None:
        at = widget.mapFromGlobal(tip.pos())
        canvas = QImage(max(image.width(), at.x() + tip.width()), max(image.height(), at.y() + tip.height()),
                        QImage.Format.Format_ARGB32)
        canvas.fill(Qt.GlobalColor.white)
        painter = QPainter(canvas)
        painter.drawImage(0, 0, image)
        painter.drawPixmap(at, tip.grab())
        painter.end()
        image = canvas
    Path(target).mkdir(parents=True, exist_ok=True)
    image.save(str(Path(target) / f"{name}.png"))


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen tooltip
def test_breakpoint_on_line_3_stops_r_there_after_ctrl_shift_enter(shared, qtbot, tmp_path: Path):
    script = tmp_path / "calc.R"
    script.write_text(CALC)
    window, console = _window(shared, qtbot, tmp_path)
    editor, gutter = _open(window, qtbot, script)
    _toggle(qtbot, editor, 3)
    _toggle(qtbot, editor, 4)  # blank
    _toggle(qtbot, editor, 8)  # top-level code: R stops before it while sourcing
    qtbot.waitUntil(lambda: None not in (_state(gutter, 3), _state(gutter, 4), _state(gutter, 8)), timeout=15_000)
    assert _state(gutter, 3) == "pending" and "sourced" in gutter.tooltip(3)  # not sourced yet
    assert _state(gutter, 4) == "invalid" and "blank line" in gutter.tooltip(4)
    assert not gutter.is_filled(3)

    assert _state(gutter, 8) == "placed" and "top-level statement" in gutter.tooltip(8)
    pos = gutter.tooltip_pos(3)
    QApplication.sendEvent(editor.gutter, QHelpEvent(QEvent.Type.ToolTip, pos, editor.gutter.mapToGlobal(pos)))
    _shot(window.source, "editor_not_sourced_tooltip", pos)

    mark = shared.mark()
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL_SHIFT)  # source with echo
    qtbot.waitUntil(lambda: shared.session.prompt == "Browse[1]> " and shared.session.state is SessionState.IDLE,
                    timeout=30_000)  # stopped before line 8, the top-level statement
    assert ("stdout", f"debug at {script}#8: top <- 1") in shared.since(mark)
    assert shared.eval(qtbot, 'c(exists("calc"), exists("top"))') == [True, False]
    shared.run(qtbot, "c")
    assert shared.session.prompt == "> " and shared.eval(qtbot, "top") == 1
    qtbot.waitUntil(lambda: _state(gutter, 3) == "placed", timeout=30_000)
    assert gutter.is_filled(3) and "calc()" in gutter.tooltip(3)
    assert _state(gutter, 4) == "invalid"
    assert shared.eval(qtbot, TRACED.format(name="calc")) is True
    # The dots as painted: line 3 filled, 4 hollow (tooltip), for the screenshots.
    pos = gutter.tooltip_pos(4)
    QApplication.sendEvent(editor.gutter, QHelpEvent(QEvent.Type.ToolTip, pos, editor.gutter.mapToGlobal(pos)))
    _shot(window.source, "editor_dots_tooltip", pos)
    _shot(window, "window_breakpoints")

    mark = shared.mark()
    out = shared.run(qtbot, "calc(1)")
    assert shared.session.prompt == "Browse[1]> "
    text = "\n".join(t for _k, t in out)
    assert f"debug at {script}#3: z <- y * 2" in text, text
    assert shared.eval(qtbot, STOPPED_LINE) == {"line": "3", "file": "calc.R"}
    _shot(window, "window_stopped_at_line_3")
    out = shared.run(qtbot, "n")  # R's own step output names line 3: the statement is next
    assert any(f"debug at {script}#3: z <- y * 2" in t for _k, t in out), out
    out = shared.run(qtbot, "c")
    assert shared.session.prompt == "> "
    assert any("[1] 5" in t for _k, t in out), shared.since(mark)

    # Clearing untraces the function at once (no command needed).
    _toggle(qtbot, editor, 3)
    qtbot.waitUntil(lambda: shared.eval(qtbot, TRACED.format(name="calc")) is False, timeout=15_000)
    assert shared.run(qtbot, "calc(1)")[-1][1] == "[1] 5"
    assert shared.session.prompt == "> "


def test_source_typed_at_the_console_and_already_defined_functions(shared, qtbot, tmp_path: Path):
    script = tmp_path / "typed.R"
    script.write_text(CALC.replace("calc", "typed"))
    window, console = _window(shared, qtbot, tmp_path)
    editor, gutter = _open(window, qtbot, script)
    _toggle(qtbot, editor, 3)
    qtbot.waitUntil(lambda: _state(gutter, 3) == "pending", timeout=15_000)
    shared.run(qtbot, 'source("typed.R")')  # relative to the project folder, R's working directory
    qtbot.waitUntil(lambda: _state(gutter, 3) == "placed", timeout=15_000)
    out = shared.run(qtbot, "typed(2)")
    assert shared.session.prompt == "Browse[1]> "
    # R's own format: the file as source() was given it (R's step messages say the same).
    assert ("stdout", "debug at typed.R#3: z <- y * 2") in out, out
    shared.run(qtbot, "Q")
    assert shared.session.prompt == "> "

    # Sourcing again re-places it on the new function (task callback after that command).
    shared.run(qtbot, 'source("typed.R"); typed(3)')
    assert shared.session.prompt == "Browse[1]> "
    shared.run(qtbot, "Q")

    # The function's header line stops at its first statement, and says so.
    _toggle(qtbot, editor, 1)
    qtbot.waitUntil(lambda: _state(gutter, 1) == "placed", timeout=15_000)
    assert gutter.tooltip(1) == "Breakpoint: R stops at line 2, the first statement of typed()"
    _toggle(qtbot, editor, 1)
    qtbot.waitUntil(lambda: _state(gutter, 1) is None, timeout=15_000)

    # A function already defined gets a new breakpoint at once: line 6 (z + 1).
    _toggle(qtbot, editor, 6)
    qtbot.waitUntil(lambda: _state(gutter, 6) == "placed", timeout=15_000)
    _toggle(qtbot, editor, 3)
    qtbot.waitUntil(lambda: _state(gutter, 3) is None, timeout=15_000)
    out = shared.run(qtbot, "typed(2)")
    assert ("stdout", "debug at typed.R#6: z + 1") in out, out
    shared.run(qtbot, "Q")
    _toggle(qtbot, editor, 6)
    qtbot.waitUntil(lambda: shared.eval(qtbot, TRACED.format(name="typed")) is False, timeout=15_000)


def test_debug_menu_toggles_the_breakpoint_on_the_current_scripts_line(shared, qtbot, tmp_path: Path):
    """Debug ▸ Toggle Breakpoint (F9) works from the menu and with the console focused."""
    script = tmp_path / "menu.R"
    script.write_text(CALC.replace("calc", "menu_fn"))
    window, console = _window(shared, qtbot, tmp_path)
    editor, gutter = _open(window, qtbot, script)
    cursor = editor.textCursor()
    cursor.setPosition(editor.document().findBlockByNumber(2).position())
    editor.setTextCursor(cursor)
    action = window.debug.actions["toggle_breakpoint"]
    assert action in window.debug.menu.actions() and action.shortcut().toString() == "F9"
    console.setFocus()
    action.trigger()
    assert gutter.marks.lines() == [3]
    qtbot.waitUntil(lambda: _state(gutter, 3) == "pending", timeout=15_000)
    action.trigger()
    assert gutter.marks.lines() == []


def test_breakpoints_come_back_with_the_file_in_a_new_window(shared, qtbot, tmp_path: Path):
    script = tmp_path / "keep.R"
    script.write_text(CALC.replace("calc", "keep"))
    settings_file = str(tmp_path / "settings.ini")
    window, _console = _window(shared, qtbot, tmp_path, QSettings(settings_file, QSettings.Format.IniFormat))
    editor, gutter = _open(window, qtbot, script)
    _toggle(qtbot, editor, 2)
    qtbot.waitUntil(lambda: _state(gutter, 2) == "pending", timeout=15_000)
    window.editor.close_tab(window.source.tabs.indexOf(editor))
    window.close()
    # The app starts again: a new QSettings on the same file, a new window.
    again, _console = _window(shared, qtbot, tmp_path, QSettings(settings_file, QSettings.Format.IniFormat))
    editor, gutter = _open(again, qtbot, script)
    assert gutter.marks.lines() == [2]
    qtbot.waitUntil(lambda: _state(gutter, 2) == "pending", timeout=15_000)


def test_restart_r_forgets_traces_and_the_next_source_places_them_again(fresh, qtbot, tmp_path: Path):
    script = tmp_path / "again.R"
    script.write_text(CALC.replace("calc", "again"))
    window, console = _window(fresh, qtbot, tmp_path)
    editor, gutter = _open(window, qtbot, script)
    _toggle(qtbot, editor, 3)
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL_SHIFT)
    qtbot.waitUntil(lambda: _state(gutter, 3) == "placed", timeout=30_000)
    _idle(fresh, qtbot)
    prompts = fresh.prompts
    fresh.session.restart()
    qtbot.waitUntil(lambda: fresh.prompts > prompts and fresh.session.state is SessionState.IDLE, timeout=90_000)
    qtbot.waitUntil(lambda: _state(gutter, 3) == "pending", timeout=15_000)
    assert fresh.eval(qtbot, 'exists("again")') is False
    assert fresh.eval(qtbot, 'length(get(".wd.bp_state", "tools:webr_desktop")$done)') == 0
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL_SHIFT)
    qtbot.waitUntil(lambda: _state(gutter, 3) == "placed", timeout=30_000)
    _idle(fresh, qtbot)
    out = fresh.run(qtbot, "again(1)")
    assert fresh.session.prompt == "Browse[1]> "
    assert any(f"debug at {script}#3:" in t for _k, t in out), out
    fresh.run(qtbot, "Q")
    # Without breakpoints, R's own source() is back (the wrapper exists only while some do).
    _toggle(qtbot, editor, 3)
    qtbot.waitUntil(lambda: fresh.eval(qtbot, ORIGINAL_SOURCE) is True, timeout=15_000)
    assert fresh.eval(qtbot, TRACED.format(name="again")) is False


def test_a_file_outside_the_project_folders_is_matched_through_its_tempdir_copy(shared, qtbot, tmp_path: Path,
                                                                                 tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "away.R"  # not under any mounted folder
    outside.write_text(CALC.replace("calc", "away"))
    window, _console = _window(shared, qtbot, tmp_path)
    editor, gutter = _open(window, qtbot, outside)
    _toggle(qtbot, editor, 3)
    qtbot.waitUntil(lambda: _state(gutter, 3) == "pending", timeout=15_000)
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL_SHIFT)  # sourced from a copy in R's tempdir()
    qtbot.waitUntil(lambda: _state(gutter, 3) == "placed", timeout=30_000)
    _idle(shared, qtbot)
    out = shared.run(qtbot, "away(1)")
    assert shared.session.prompt == "Browse[1]> "
    assert any(t.startswith("debug at /tmp/") and t.endswith("away.R#3: z <- y * 2") for _k, t in out), out
    shared.run(qtbot, "Q")
    _toggle(qtbot, editor, 3)
    qtbot.waitUntil(lambda: shared.eval(qtbot, TRACED.format(name="away")) is False, timeout=15_000)


def test_an_edited_and_saved_file_waits_for_its_next_source(shared, qtbot, tmp_path: Path):
    script = tmp_path / "edit.R"
    script.write_text(CALC.replace("calc", "edited"))
    window, _console = _window(shared, qtbot, tmp_path)
    editor, gutter = _open(window, qtbot, script)
    _toggle(qtbot, editor, 3)
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL_SHIFT)
    qtbot.waitUntil(lambda: _state(gutter, 3) == "placed", timeout=30_000)
    _idle(shared, qtbot)
    # A line typed above and saved: the dot moves to line 4, R's function still has the old
    # lines, so nothing is traced until the file is sourced again.
    cursor = editor.textCursor()
    cursor.setPosition(0)
    cursor.insertText("# header\n")
    assert gutter.marks.lines() == [4]
    assert gutter.tooltip(4).startswith("Breakpoint: the file has unsaved changes")
    assert window.editor.save(editor)
    qtbot.waitUntil(lambda: _state(gutter, 4) == "pending", timeout=15_000)
    assert "changed since R sourced it" in gutter.tooltip(4)
    assert shared.eval(qtbot, TRACED.format(name="edited")) is False
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL_SHIFT)
    qtbot.waitUntil(lambda: _state(gutter, 4) == "placed", timeout=30_000)
    _idle(shared, qtbot)
    out = shared.run(qtbot, "edited(1)")
    assert ("stdout", f"debug at {script}#4: z <- y * 2") in out, out
    shared.run(qtbot, "Q")


def test_source_while_breakpoints_exist_reads_as_rs_own(shared, qtbot):
    """The wrapper that base's source() becomes while breakpoints exist is invisible: an error
    names `source("f.R")` as typed, local = TRUE defines in the caller, the value is R's."""
    shared.run(qtbot, 'writeLines(c("f <- function() {", "  1 +"), "/tmp/bp_bad.R"); '
                      'writeLines("bp_local <- 5", "/tmp/bp_ok.R")')
    plain = shared.run(qtbot, 'source("/tmp/bp_bad.R")')
    assert plain[0] == ("stderr", 'Error in source("/tmp/bp_bad.R") : '), plain
    shared.eval(qtbot, '.wd.bp_set("/tmp/bp_elsewhere.R", 2L)')  # some breakpoint, in another file
    try:
        assert shared.eval(qtbot, ORIGINAL_SOURCE) is False  # the wrapper is in place
        assert shared.run(qtbot, 'source("/tmp/bp_bad.R")') == plain
        assert shared.run(qtbot, 'g <- function() { source("/tmp/bp_ok.R", local = TRUE); bp_local }; '
                                 'g(); exists("bp_local")') == [("stdout", "[1] 5"), ("stdout", "[1] FALSE")]
        assert shared.run(qtbot, 'x <- source("/tmp/bp_ok.R"); x$value; withVisible(source("/tmp/bp_ok.R"))$visible') \
            == [("stdout", "[1] 5"), ("stdout", "[1] FALSE")]
    finally:
        shared.eval(qtbot, '.wd.bp_set("/tmp/bp_elsewhere.R", integer())')
