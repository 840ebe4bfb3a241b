"""Completions from R's own engine (utils:::.completeToken) in the real webR."""

from __future__ import annotations


import pytest
from PySide6.QtCore import Qt

from webr_desktop.models.completion import CompletionService
from webr_desktop.ui.console.console_pane import ConsolePane
from webr_desktop.ui.editor.code_editor import CodeEditor

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen popups


@pytest.fixture
def service(shared, qtbot) -> CompletionService:
    shared.run(qtbot, "df_for_completion <- data.frame(alpha = 1, beta = 2)")
    return CompletionService(shared.session)


def _complete(qtbot, service: CompletionService, line: str, cursor: int | None = None) -> tuple[str, list]:
    with qtbot.waitSignal(service.sig_completed, timeout=10_000) as blocker:
        service.complete(line, len(line) if cursor is None else cursor)
    return blocker.args[1], blocker.args[2]


def test_mea_completes_to_mean(qtbot, service) -> None:
    token, candidates = _complete(qtbot, service, "x <- mea")
    assert token == "mea"
    assert "mean" in candidates and all(c.startswith("mea") for c in candidates)


def test_dollar_gives_column_names(qtbot, service) -> None:
    token, candidates = _complete(qtbot, service, "mtcars$")
    assert token == "mtcars$"
    assert candidates[:3] == ["mtcars$mpg", "mtcars$cyl", "mtcars$disp"] and len(candidates) == 11
    assert _complete(qtbot, service, "df_for_completion$b")[1] == ["df_for_completion$beta"]


def test_cursor_in_the_middle_and_nothing_to_complete(qtbot, service) -> None:
    assert _complete(qtbot, service, "summary(mtc) + 1", cursor=11) == ("mtc", ["mtcars"])
    assert _complete(qtbot, service, "") == ("", [])
    assert _complete(qtbot, service, 'x <- "\\"quoted') [0] != ""  # odd text never fails


def test_only_the_latest_request_is_answered(qtbot, service) -> None:
    answers: list[int] = []
    service.sig_completed.connect(lambda rid, tok, cands: answers.append(rid))
    service.complete("mea", 3)
    latest = service.complete("summ", 4)
    qtbot.waitUntil(lambda: latest in answers, timeout=10_000)
    assert answers == [latest]


def test_editor_popup_shows_r_completions(qtbot, service) -> None:
    editor = CodeEditor(service)
    qtbot.addWidget(editor)
    editor.resize(500, 300)
    editor.show()
    qtbot.keyClicks(editor, "y <- mea")
    qtbot.keyClick(editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(editor.completion.is_visible, timeout=10_000)
    assert "mean" in editor.completion.model.stringList()
    qtbot.keyClick(editor.completion.completer.popup(), Qt.Key.Key_Return)
    assert editor.toPlainText() == "y <- mean"
    qtbot.keyClicks(editor, "(df_for_completion$al")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # one candidate: inserted at once
    qtbot.waitUntil(lambda: editor.toPlainText() == "y <- mean(df_for_completion$alpha", timeout=10_000)


def test_console_popup_shows_r_completions(qtbot, pane: ConsolePane, service) -> None:
    pane.set_completions(service)
    qtbot.keyClicks(pane.input, "mea")
    qtbot.keyClick(pane.input, Qt.Key.Key_Tab)
    qtbot.waitUntil(pane.input.completion.is_visible, timeout=10_000)
    assert "mean" in pane.input.completion.model.stringList()
    with qtbot.assertNotEmitted(pane.input.sig_lines_submitted):
        qtbot.keyClick(pane.input.completion.completer.popup(), Qt.Key.Key_Return)  # picks, doesn't run
    assert pane.input.text() == "mean"
