"""The debugger as webr_desktop.app wires it, driven as a user would against the real webR:
R's browser entered by debugonce(), browser() in a loop, a setBreakpoint()/trace() breakpoint
and break-on-error; the editor's marked line, the Debug pane's stack and the Environment
pane's frame variables follow Next / Step Into / Finish / Continue / Stop.

Screenshots of a paused session go to $WD_SCREENSHOTS if set, to look at.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QTextCursor

from webr_desktop.core.rcode import r_string
from webr_desktop.runtime.session import SessionState

from tests.webengine.driver import INTERRUPT_TIMEOUT, R_TIMEOUT, ide_window

pytestmark = pytest.mark.webengine

# Lines:  1                    2                3               4   5          6
PROJECT = """f <- function(x) {
  y <- x + 1
  z <- g(y)

  z * 2
}
g <- function(a) {
  b <- a * 10
  b
}
h <- function(v) {
  inner(v)
}
inner <- function(w) {
  df <- data.frame(a = seq_len(w))
  stop("boom ", w)
}
top_value <- 1
"""
STEP = 10_000  # a step -> its line and variables shown: ~20 ms measured; only a hang breaks this


def _window(driver, qtbot, tmp_path: Path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window, console = ide_window(driver, tmp_path, settings)
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    script = tmp_path / "funs.R"
    script.write_text(PROJECT, encoding="utf-8")
    return window, console, script


def _idle(driver, qtbot) -> None:
    qtbot.waitUntil(lambda: driver.session.state is SessionState.IDLE, timeout=R_TIMEOUT)


def _submit(window, console, driver, qtbot, code: str) -> None:
    _idle(driver, qtbot)
    console.submit(code)


def _at(window, qtbot, where: str, line: int) -> None:
    """Debug mode shows ``line`` of ``where`` (a file path or a read-only tab's title)."""
    try:
        qtbot.waitUntil(lambda: window.debug.debugger.active and window.debug_location.last_line == (where, line),
                        timeout=STEP)
    except Exception:
        debugger = window.debug.debugger
        raise AssertionError(f"not at {where}:{line}: active={debugger.active} shown={window.debug_location.last_line} "
                             f"frames={debugger.frames}") from None


def _step(window, qtbot, action: str) -> None:
    """Press a control and wait until R's next browser state is shown."""
    shown = window.debug.debugger.states_shown
    window.debug.actions[action].trigger()
    qtbot.waitUntil(lambda: window.debug.debugger.states_shown > shown, timeout=STEP)


def _vars(window, qtbot, *names: str) -> None:
    qtbot.waitUntil(lambda: set(names) <= set(window.environment_service.model.names()), timeout=STEP)


def _shot(window, name: str) -> None:
    if os.environ.get("WD_SCREENSHOTS"):
        Path(os.environ["WD_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        window.grab().save(str(Path(os.environ["WD_SCREENSHOTS"]) / f"{name}.png"))


def _leave(window, driver, qtbot) -> None:
    """Back at a normal prompt: no marked line, the global environment, no toolbar."""
    qtbot.waitUntil(lambda: not window.debug.debugger.active and driver.session.prompt == "> ", timeout=R_TIMEOUT)
    assert window.debug_location.last_line is None
    assert all(e.debug_line is None for e in window.editor.editors())
    qtbot.waitUntil(lambda: window.environment_service.frame is None, timeout=STEP)
    assert not window.debug.toolbar.isVisibleTo(window)
    assert not window.debug.actions["next"].isEnabled()


def test_debugonce_next_step_into_finish_continue(shared, qtbot, tmp_path: Path) -> None:
    window, console, script = _window(shared, qtbot, tmp_path)
    path = str(script.resolve())
    _submit(window, console, shared, qtbot, f"source({r_string(path)})")
    _submit(window, console, shared, qtbot, "debugonce(f); f(1)")
    _at(window, qtbot, path, 1)  # "debug at funs.R#1: {"
    _vars(window, qtbot, "x")
    assert window.debug.toolbar.isVisibleTo(window) and window.debug.dock.isVisibleTo(window)
    assert shared.session.prompt == "Browse[1]> "
    editor = window.editor.current_editor()
    assert window.editor.path_of(editor) == script.resolve() and editor.debug_line == 0

    window.activateWindow()
    console.input.setFocus()
    shown = window.debug.debugger.states_shown
    qtbot.keyClick(console.input, Qt.Key.Key_F10)  # RStudio's key for Next, typed at the console
    qtbot.waitUntil(lambda: window.debug.debugger.states_shown > shown, timeout=STEP)
    _at(window, qtbot, path, 2)
    _step(window, qtbot, "next")
    _at(window, qtbot, path, 3)
    _vars(window, qtbot, "x", "y")
    _shot(window, "debug-paused-f")
    _step(window, qtbot, "step_into")
    _at(window, qtbot, path, 7)  # g's first line
    qtbot.waitUntil(lambda: window.debug.pane.frame_rows() == ["g(y)", "f(1)"], timeout=STEP)
    _vars(window, qtbot, "a")
    _shot(window, "debug-step-into-g")
    assert "x" not in window.environment_service.model.names()
    _step(window, qtbot, "finish")
    _at(window, qtbot, path, 5)
    qtbot.waitUntil(lambda: window.debug.pane.frame_rows() == ["f(1)"], timeout=STEP)
    _vars(window, qtbot, "x", "y", "z")

    mark = shared.mark()
    window.debug.actions["continue"].trigger()
    _leave(window, shared, qtbot)
    assert "[1] 40" in shared.text(mark)
    _vars(window, qtbot, "f", "g", "h")  # the global environment again


def test_any_expression_at_the_browse_prompt_and_stop(shared, qtbot, tmp_path: Path) -> None:
    window, console, _script = _window(shared, qtbot, tmp_path)
    _submit(window, console, shared, qtbot, "k <- function(n) {\n  total <- 0\n  for (i in seq_len(n)) {\n"
            "    browser()\n    total <- total + i\n  }\n  total\n}")
    _submit(window, console, shared, qtbot, "k(3)")
    # No file: the function's text in a read-only tab, at browser()'s line.
    _at(window, qtbot, "k (debug)", 4)
    editor = window.editor.current_editor()
    assert editor.isReadOnly() and editor.toPlainText().startswith("function(n) {")
    _vars(window, qtbot, "i", "n", "total")
    _shot(window, "debug-read-only-tab")
    mark = shared.mark()
    _submit(window, console, shared, qtbot, "i * 100")  # any R expression, in the frame
    qtbot.waitUntil(lambda: "[1] 100" in shared.text(mark), timeout=R_TIMEOUT)
    _at(window, qtbot, "k (debug)", 4)
    _step(window, qtbot, "next")
    _at(window, qtbot, "k (debug)", 5)
    window.debug.actions["continue"].trigger()  # the next browser() stops again
    _at(window, qtbot, "k (debug)", 4)
    qtbot.waitUntil(lambda: getattr(window.environment_service.model.get("i"), "preview", "") == "2", timeout=STEP)
    window.debug.actions["stop"].trigger()
    _leave(window, shared, qtbot)
    _vars(window, qtbot, "k")


def test_browser_in_a_top_level_loop(shared, qtbot, tmp_path: Path) -> None:
    window, console, _script = _window(shared, qtbot, tmp_path)
    _submit(window, console, shared, qtbot, "for (j in 1:2) {\n  browser()\n  jj <- j\n}")
    _at(window, qtbot, "top level (debug)", 2)
    assert window.debug.pane.frame_rows() == []
    _step(window, qtbot, "next")
    _at(window, qtbot, "top level (debug)", 3)
    window.debug.actions["stop"].trigger()
    _leave(window, shared, qtbot)


def test_a_set_breakpoint_gives_the_same_mode(shared, qtbot, tmp_path: Path) -> None:
    window, console, script = _window(shared, qtbot, tmp_path)
    path = str(script.resolve())
    _submit(window, console, shared, qtbot, f"source({r_string(path)})")
    _submit(window, console, shared, qtbot, f"setBreakpoint({r_string(path)}, 3)")
    _submit(window, console, shared, qtbot, "f(2)")
    _at(window, qtbot, path, 3)
    _vars(window, qtbot, "x", "y")
    qtbot.waitUntil(lambda: window.debug.pane.frame_rows() == ["f(2)"], timeout=STEP)  # trace's frames dropped
    _step(window, qtbot, "next")  # the traced statement itself: trace() drops its srcref
    _at(window, qtbot, path, 3)
    _step(window, qtbot, "next")
    _at(window, qtbot, path, 5)
    mark = shared.mark()
    window.debug.actions["continue"].trigger()
    _leave(window, shared, qtbot)
    assert "[1] 60" in shared.text(mark)
    _submit(window, console, shared, qtbot, "untrace(f)")
    _idle(shared, qtbot)


def test_break_on_error_outer_frame_view_and_stop(shared, qtbot, tmp_path: Path) -> None:
    window, console, script = _window(shared, qtbot, tmp_path)
    path = str(script.resolve())
    _submit(window, console, shared, qtbot, f"source({r_string(path)})")
    window.debug.actions["break_on_error"].setChecked(True)
    mark = shared.mark()
    _submit(window, console, shared, qtbot, "h(3)")
    _at(window, qtbot, path, 16)  # stop() in inner()
    qtbot.waitUntil(lambda: window.debug.pane.frame_rows() == ["inner(v)", "h(3)"], timeout=STEP)
    _vars(window, qtbot, "df", "w")
    assert "Called from: inner(v)" in shared.text(mark)
    with qtbot.waitSignal(window.data_service.sig_view_opened, timeout=R_TIMEOUT):
        window.environment.sig_view_requested.emit("df")  # a local variable in the data viewer
    viewer = window.data_views.current_viewer()
    qtbot.waitUntil(lambda: viewer.model.rowCount() == 3, timeout=STEP)

    window.debug.pane.select_row(1)  # the outer frame, h(3)
    _at(window, qtbot, path, 12)
    _vars(window, qtbot, "v")
    _shot(window, "debug-error-outer-frame")
    assert "df" not in window.environment_service.model.names()
    window.debug.actions["stop"].trigger()
    _leave(window, shared, qtbot)
    window.debug.actions["break_on_error"].setChecked(False)
    mark = shared.mark()
    _submit(window, console, shared, qtbot, "h(1)")  # off again: a plain error
    _idle(shared, qtbot)
    assert any("boom 1" in t for t in shared.text(mark, "stderr"))
    assert not window.debug.debugger.active and shared.session.prompt == "> "

    # traceback(): R's text, each "at funs.R#n" a link that opens the file at that line.
    mark = shared.mark()
    _submit(window, console, shared, qtbot, "traceback()")
    _idle(shared, qtbot)
    lines = shared.text(mark)
    assert "2: inner(v) at funs.R#12" in _plain(lines) and "1: h(1)" in lines, lines
    qtbot.waitUntil(lambda: _anchor(console, "#16") is not None, timeout=STEP)
    window.editor.current_editor().setTextCursor(QTextCursor(window.editor.current_editor().document()))
    console.output.sig_link_activated.emit(_anchor(console, "#16"))  # as a click on it does
    assert window.editor.path_of(window.editor.current_editor()) == script.resolve()
    assert window.editor.current_editor().textCursor().blockNumber() == 15


def _plain(lines: list[str]) -> list[str]:
    return [re.sub(r"\x1b\][^\x07]*\x07", "", line) for line in lines]


def _anchor(console, ending: str) -> str | None:
    """The href of a link in the console's text that ends with ``ending``."""
    block = console.output.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            href = it.fragment().charFormat().anchorHref()
            if href.endswith(ending):
                return href
            it += 1
        block = block.next()
    return None


def test_interrupt_while_debugging(shared, qtbot, tmp_path: Path) -> None:
    window, console, _script = _window(shared, qtbot, tmp_path)
    _submit(window, console, shared, qtbot, "spin <- function() {\n  browser()\n  cat(\"spinning\\n\")\n  for (i in 1:1e8) i\n  1\n}")
    _submit(window, console, shared, qtbot, "spin()")
    _at(window, qtbot, "spin (debug)", 2)
    # A loop typed at the Browse prompt: the interrupt lands back at the browser.
    console.submit("while (TRUE) {}")
    qtbot.waitUntil(lambda: shared.session.state is SessionState.BUSY, timeout=R_TIMEOUT)
    shared.session.interrupt()
    qtbot.waitUntil(lambda: shared.session.prompt == "Browse[1]> " and shared.session.state is SessionState.IDLE,
                    timeout=INTERRUPT_TIMEOUT)
    _at(window, qtbot, "spin (debug)", 2)
    # Continue into the long loop, then interrupt: R stops cleanly at a normal prompt.
    mark = shared.mark()
    window.debug.actions["continue"].trigger()
    qtbot.waitUntil(lambda: "spinning" in shared.text(mark), timeout=R_TIMEOUT)  # in the loop now
    qtbot.keyClick(console.input, Qt.Key.Key_Escape)  # Esc at the console, as a user stops it
    _leave(window, shared, qtbot)


def test_restart_leaves_no_debug_state_and_debugging_works_again(fresh, qtbot, tmp_path: Path) -> None:
    window, console, script = _window(fresh, qtbot, tmp_path)
    path = str(script.resolve())
    _submit(window, console, fresh, qtbot, f"source({r_string(path)})")
    _submit(window, console, fresh, qtbot, "debugonce(g); g(1)")
    _at(window, qtbot, path, 7)
    fresh.session.restart()
    qtbot.waitUntil(lambda: not window.debug.debugger.active, timeout=STEP)
    assert window.debug_location.last_line is None and not window.debug.toolbar.isVisibleTo(window)
    qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE and fresh.session.prompt == "> ", timeout=90_000)
    _submit(window, console, fresh, qtbot, f"source({r_string(path)})")
    _submit(window, console, fresh, qtbot, "debugonce(f); f(1)")
    _at(window, qtbot, path, 1)
    _step(window, qtbot, "next")
    _at(window, qtbot, path, 2)
    window.debug.actions["continue"].trigger()
    _leave(window, fresh, qtbot)

    # Break on Error is set again in every new R; a crash while browsing leaves no debug state.
    window.debug.actions["break_on_error"].setChecked(True)
    fresh.session.restart()
    qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE and fresh.session.prompt == "> ", timeout=90_000)
    _submit(window, console, fresh, qtbot, f"source({r_string(path)})")
    _submit(window, console, fresh, qtbot, "h(2)")
    _at(window, qtbot, path, 16)
    with qtbot.waitSignal(fresh.session.sig_crashed, timeout=10_000):
        os.kill(fresh.session._page.render_process_pid(), signal.SIGKILL)  # noqa: SLF001
    assert not window.debug.debugger.active and window.debug_location.last_line is None
    assert not window.debug.toolbar.isVisibleTo(window) and window.environment_service.frame is None


def test_frame_variables_never_force_promises(shared, qtbot, tmp_path: Path) -> None:
    window, console, _script = _window(shared, qtbot, tmp_path)
    _submit(window, console, shared, qtbot, "lazy <- function(a, b, c) {\n  a\n  c\n  browser()\n  1\n}")
    mark = shared.mark()
    _submit(window, console, shared, qtbot, 'lazy(1, {cat("FORCED\\n"); 2}, 3)')
    _at(window, qtbot, "lazy (debug)", 4)
    _vars(window, qtbot, "a", "b", "c")
    model = window.environment_service.model
    assert (model.get("a").preview, model.get("b").type, model.get("c").preview) == ("1", "promise", "3")
    _step(window, qtbot, "next")  # another state, another look at the frame
    assert "FORCED" not in shared.text(mark)
    window.debug.actions["stop"].trigger()
    _leave(window, shared, qtbot)
    assert "FORCED" not in shared.text(mark)


def test_r_cannot_open_host_files_outside_the_project(shared, qtbot, tmp_path: Path) -> None:
    """Hostile R names a host file outside the open folder (as a srcref's file, and as a console
    link): the editor never opens it (rstudioapi could then read it back to R)."""
    window, console, _script = _window(shared, qtbot, tmp_path)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    secret = outside / "secret.R"
    secret.write_text("host_secret <- function() {\n  1\n}\n", encoding="utf-8")
    r_secret = r_string(str(secret))
    # The same path made in R's own file system, with a function whose srcref names it.
    _submit(window, console, shared, qtbot,
            f"dir.create(dirname({r_secret}), recursive = TRUE); writeLines(c('sneak <- function() {{', '  1', '}}'), {r_secret}); "
            f"eval(parse(text = readLines({r_secret}), srcfile = srcfilecopy({r_secret}, readLines({r_secret}))))")
    _submit(window, console, shared, qtbot, "debugonce(sneak); sneak()")
    _at(window, qtbot, "sneak (debug)", 1)  # its text in a read-only tab, not the host file
    assert all(window.editor.path_of(e) != secret.resolve() for e in window.editor.editors())
    assert shared.eval(qtbot, ".wd.debug_state()$frames[[1L]]$file") == str(secret)  # R did name it
    window.debug.actions["stop"].trigger()
    _leave(window, shared, qtbot)
    console.output.sig_link_activated.emit(f"file://{secret}#1")  # a link R printed, clicked
    assert all(window.editor.path_of(e) != secret.resolve() for e in window.editor.editors())
    inside = tmp_path / "funs.R"
    console.output.sig_link_activated.emit(f"file://{inside}#2")  # inside the folder: opens
    assert window.editor.path_of(window.editor.current_editor()) == inside.resolve()
    assert window.editor.current_editor().textCursor().blockNumber() == 1


def test_a_function_without_source_shows_its_deparsed_text(shared, qtbot, tmp_path: Path) -> None:
    window, console, _script = _window(shared, qtbot, tmp_path)
    _submit(window, console, shared, qtbot, "debugonce(sd); sd(c(1, 3))")
    qtbot.waitUntil(lambda: window.debug.debugger.active and window.debug_location.last_line is not None, timeout=STEP)
    editor = window.editor.current_editor()
    assert editor.isReadOnly() and "sqrt(var(" in editor.toPlainText()  # R's deparse of stats::sd
    assert window.debug.pane.frame_rows() == ["sd(c(1, 3))"]
    _vars(window, qtbot, "x", "na.rm")
    mark = shared.mark()
    window.debug.actions["continue"].trigger()
    _leave(window, shared, qtbot)
    assert "[1] 1.414214" in shared.text(mark)


def test_editor_breakpoints_enter_the_same_mode(shared, qtbot, tmp_path: Path) -> None:
    """Breakpoints set in the editor's gutter (F9; the breakpoint helper's service places them
    when the file is sourced) stop R in this debug mode: at a top-level line while sourcing,
    then inside f."""
    window, console, script = _window(shared, qtbot, tmp_path)
    path = str(script.resolve())
    editor = window.editor.open_file(script)
    for line in (3, 18):
        cursor = editor.textCursor()
        cursor.setPosition(editor.document().findBlockByNumber(line - 1).position())
        editor.setTextCursor(cursor)
        qtbot.keyClick(editor, Qt.Key.Key_F9)
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    _at(window, qtbot, path, 18)  # source() stopped before the top-level line 18: top-level code
    assert window.debug.pane.frame_rows() == []
    window.debug.actions["continue"].trigger()
    _leave(window, shared, qtbot)
    qtbot.waitUntil(lambda: shared.eval(qtbot, 'inherits(f, "functionWithTrace")') is True, timeout=R_TIMEOUT)

    _submit(window, console, shared, qtbot, "f(1)")
    _at(window, qtbot, path, 3)
    _vars(window, qtbot, "x", "y")
    assert window.debug.pane.frame_rows() == ["f(1)"]  # the breakpoint's own frames are not shown
    _shot(window, "debug-editor-breakpoint")
    _step(window, qtbot, "next")  # the statement itself comes next (R says line 3 again)
    _at(window, qtbot, path, 3)
    _step(window, qtbot, "step_into")
    _at(window, qtbot, path, 7)
    qtbot.waitUntil(lambda: window.debug.pane.frame_rows() == ["g(y)", "f(1)"], timeout=STEP)
    _step(window, qtbot, "finish")
    _at(window, qtbot, path, 5)
    mark = shared.mark()
    window.debug.actions["continue"].trigger()
    _leave(window, shared, qtbot)
    assert "[1] 40" in shared.text(mark)
    editor.document().setModified(False)
