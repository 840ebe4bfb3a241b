"""The Debug pane, the editor's debug line and the debugger's reading of R's state, without R:
a fake debugger with the real signals feeds the pane; the editor tabs are the real widget."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor

from webr_desktop.models.debugger import BROWSE_PROMPT, DebugState, Debugger, Frame
from webr_desktop.models.environment import EnvironmentModel, EnvironmentService, EnvRow
from webr_desktop.ui.debug.debug_pane import DebugPane
from webr_desktop.ui.editor.debug_location import DebugLocation
from webr_desktop.ui.editor.debug_marker import DEBUG_LINE
from webr_desktop.ui.editor.editor_tabs import EditorTabs

from tests.qt.contract import assert_same_signals

OUTER = Frame("f(1)", "f", "/p/funs.R", 3, 3)
INNER = Frame("g(y)", "g", "", 8, 8, "function(a) {\n  b <- a * 10\n  b\n}", 7)


class FakeDebugger(QObject):
    sig_entered = Signal()
    sig_location_changed = Signal(object)
    sig_stack_changed = Signal(object, int)
    sig_vars_changed = Signal(str, object)
    sig_left = Signal()
    sig_problem = Signal(str)
    sig_break_on_error_changed = Signal(bool)

    level = 1

    def __init__(self) -> None:
        super().__init__()
        self.picked: list[int] = []

    def select_frame(self, index: int) -> None:
        self.picked.append(index)


def test_fake_has_the_real_signals() -> None:
    assert_same_signals(FakeDebugger, Debugger)


@pytest.fixture
def pane(qtbot) -> tuple[DebugPane, FakeDebugger]:
    debugger = FakeDebugger()
    widget = DebugPane(debugger)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.show()
    return widget, debugger


def test_stack_lists_innermost_first_and_a_click_selects_a_frame(pane) -> None:
    widget, debugger = pane
    debugger.sig_stack_changed.emit([OUTER, Frame("g(y)", "g", "/p/funs.R", 8, 8)], 2)
    assert widget.frame_rows() == ["g(y)", "f(1)"]
    assert widget.stack.topLevelItem(0).text(1) == "funs.R:8"
    assert widget.stack.currentItem() is widget.stack.topLevelItem(0)
    assert debugger.picked == []  # filling the list is not a user's choice
    widget.select_row(1)
    assert debugger.picked == [1]  # the outer frame: 1 = outermost
    assert widget.status.text() == "Browse[1]: 2 frames"
    debugger.sig_left.emit()
    assert widget.frame_rows() == [] and widget.status.text() == "Not debugging."


def test_frames_without_a_file_say_their_line_in_the_function(pane) -> None:
    widget, debugger = pane
    debugger.sig_stack_changed.emit([INNER], 1)
    assert widget.stack.topLevelItem(0).text(1) == "line 2"  # line 8 of the source, the function's 2nd


def test_debug_line_follows_the_location_across_tabs(qtbot, tmp_path: Path) -> None:
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    tabs.resize(500, 300)
    tabs.show()
    script = tmp_path / "funs.R"
    script.write_text("f <- function(x) {\n  y <- x + 1\n  z <- g(y)\n  z\n}\n", encoding="utf-8")
    location = DebugLocation(tabs, Path)  # the app's resolver maps R paths to project files
    location.show(Frame("f(1)", "f", str(script), 3, 3))
    editor = tabs.current_editor()
    assert tabs.path_of(editor) == script.resolve() and editor.debug_line == 2
    assert editor.textCursor().blockNumber() == 2
    marked = [s for s in editor.extraSelections() if s.format.background().color() == QColor(DEBUG_LINE)]
    assert len(marked) == 1 and marked[0].cursor.blockNumber() == 2
    editor.moveCursor(editor.textCursor().MoveOperation.Start)  # the mark stays where R is
    assert any(s.format.background().color() == QColor(DEBUG_LINE) for s in editor.extraSelections())

    location.show(INNER)  # no file: a read-only tab with the function, at its own line
    other = tabs.current_editor()
    assert other is not editor and other.isReadOnly() and other.debug_line == 1
    assert editor.debug_line is None  # one marked line at a time
    assert location.last_line == ("g (debug)", 2)
    location.show(INNER)
    assert len(tabs.editors()) == 2  # the same function: the same tab
    location.clear()
    assert other.debug_line is None and location.last_line is None


def test_arrow_is_painted_in_the_gutter(qtbot, tmp_path: Path) -> None:
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    tabs.resize(400, 200)
    tabs.show()
    qtbot.waitExposed(tabs)
    editor = tabs.new_file("a <- 1\nb <- 2\nc <- 3\n")
    gutter = editor._gutter  # noqa: SLF001 - the arrow is drawn over it
    before = gutter.grab().toImage()
    editor.set_debug_line(1)
    after = gutter.grab().toImage()
    green = sum(QColor(after.pixel(x, y)).green() > 100 and QColor(after.pixel(x, y)).red() < 100
                for y in range(after.height()) for x in range(min(16, after.width())))
    assert green > 10 and before != after


def test_browse_prompts_and_state_parsing() -> None:
    assert BROWSE_PROMPT.match("Browse[2]> ").group(1) == "2"
    assert BROWSE_PROMPT.match("> ") is None and BROWSE_PROMPT.match("+ ") is None
    state = DebugState.parse({
        "depth": 1, "selected": 1, "top": None,
        "frames": [{"call": "f(1)", "name": "f", "file": "/p/a.R", "line": 2, "last": 2, "text": "", "first": None}],
        "vars": {"name": "x", "class": "numeric", "dims": "1", "size": 56, "preview": "1", "viewable": True},
    })
    assert state.frames == [Frame("f(1)", "f", "/p/a.R", 2, 2)] and state.selected == 1
    assert state.vars == [EnvRow("x", "numeric", "1", 56.0, "1", True)]
    top = DebugState.parse({"depth": 0, "selected": 0, "frames": [], "vars": None,
                            "top": {"file": "", "line": 2, "last": 2, "text": "for (i in 1:2) {\n  browser()\n}", "first": 1}})
    assert top.frames == [] and top.vars is None and top.top.text_line == 2 and top.top.title == "top level (debug)"


class _IdleSession(QObject):
    """Enough of RSession for EnvironmentService: its signals, an idle state, recorded evals."""

    sig_command_finished = Signal()
    sig_settled = Signal()
    sig_started = Signal(object)

    state = None

    def __init__(self) -> None:
        super().__init__()
        self.evals: list[str] = []

    def eval(self, code: str):
        self.evals.append(code)
        request = QObject()
        request.sig_finished = _Sig()  # type: ignore[attr-defined]
        request.sig_failed = _Sig()  # type: ignore[attr-defined]
        return request


class _Sig:
    def connect(self, _slot) -> None:
        pass


def test_environment_shows_frames_then_the_global_environment() -> None:
    session = _IdleSession()
    model = EnvironmentModel()
    service = EnvironmentService(session, model)  # type: ignore[arg-type]
    service.show_frame("1:f(1)", [EnvRow("x", "numeric", "1", 56, "1", True)])
    assert model.names() == ["x"] and service.frame == "1:f(1)"
    session.sig_command_finished.emit()  # a step: no global refresh while a frame is shown
    assert session.evals == []
    service.show_frame("1:f(1)", [EnvRow("x", "numeric", "1", 56, "1", True), EnvRow("y", "numeric", "1", 56, "2", True)])
    assert model.names() == ["x", "y"]
    service.show_global()
    assert service.frame is None and session.evals == [".wd.env_update(full = TRUE)"]


def test_a_file_the_resolver_refuses_is_not_opened_and_its_text_is_asked_for(qtbot, tmp_path: Path) -> None:
    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    secret = tmp_path / "secret.R"
    secret.write_text("s <- 1\n", encoding="utf-8")
    asked: list[Frame] = []
    location = DebugLocation(tabs, lambda _r_path: None, asked.append)
    frame = Frame("s()", "s", str(secret), 1, 1)
    location.show(frame)
    assert tabs.editors() == [] and asked == [frame] and location.last_line is None
