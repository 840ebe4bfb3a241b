"""The console pane as a user drives it, on the real webR."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from tests.webengine.driver import INTERRUPT_TIMEOUT
from webr_desktop.core.history import History
from webr_desktop.runtime.session import SessionState
from webr_desktop.ui.console.console_pane import ConsolePane
from webr_desktop.ui.console.output_view import FORMATS


def _type(qtbot, pane: ConsolePane, text: str) -> None:
    qtbot.keyClicks(pane.input, text)
    with qtbot.waitSignal(pane.sig_prompt_displayed, timeout=15_000):
        qtbot.keyClick(pane.input, Qt.Key.Key_Return)
    pane.output.flush_now()


def test_typed_command_shows_echo_and_result(pane, qtbot) -> None:
    _type(qtbot, pane, "1+1")
    assert pane.output.toPlainText().endswith("> 1+1\n[1] 2")
    assert pane.prompt_label.text() == "> "


def test_errors_are_red_and_messages_distinct(pane, qtbot) -> None:
    _type(qtbot, pane, 'message("psst"); stop("bad")')
    doc = pane.output.document()
    error_block = doc.find("Error: bad").block()
    message_block = error_block.previous()  # find("psst") would hit the echoed command
    assert message_block.text() == "psst"
    color = lambda block: block.begin().fragment().charFormat().foreground().color()  # noqa: E731
    assert color(error_block) == FORMATS["error"].foreground().color()
    assert color(message_block) == FORMATS["message"].foreground().color()


def test_history_recalls_with_up_and_persists(pane, qtbot, tmp_path: Path) -> None:
    _type(qtbot, pane, "x_hist <- 5")
    _type(qtbot, pane, "x_hist * 2")
    qtbot.keyClick(pane.input, Qt.Key.Key_Up)
    assert pane.input.text() == "x_hist * 2"
    qtbot.keyClick(pane.input, Qt.Key.Key_Up)
    assert pane.input.text() == "x_hist <- 5"
    qtbot.keyClick(pane.input, Qt.Key.Key_Down)
    qtbot.keyClick(pane.input, Qt.Key.Key_Down)
    assert pane.input.text() == ""
    assert History(tmp_path / "history.txt").entries[-2:] == ["x_hist <- 5", "x_hist * 2"]


def test_escape_interrupts_a_running_loop(pane, qtbot, shared) -> None:
    qtbot.keyClicks(pane.input, "cat('looping\\n'); repeat {}")
    qtbot.keyClick(pane.input, Qt.Key.Key_Return)
    # Escape once R runs the loop (not before R read the line: webR would drop it with its read).
    qtbot.waitUntil(lambda: "looping" in pane.output.toPlainText().splitlines(), timeout=10_000)
    qtbot.waitUntil(lambda: shared.session.state is SessionState.BUSY and pane.busy_bar.isVisible(), timeout=5_000)
    with qtbot.waitSignal(pane.sig_prompt_displayed, timeout=INTERRUPT_TIMEOUT):
        qtbot.keyClick(pane.input, Qt.Key.Key_Escape)
    assert not pane.busy_bar.isVisible()


def test_ctrl_l_clears_the_output(pane, qtbot) -> None:
    _type(qtbot, pane, "cat('visible\\n')")
    qtbot.keyClick(pane.input, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert pane.output.toPlainText() == ""


def test_pasted_block_runs_line_by_line(pane, qtbot) -> None:
    from PySide6.QtCore import QMimeData

    mime = QMimeData()
    mime.setText("p <- 20\nq <- 22\np + q\n")
    with qtbot.waitSignal(pane.sig_prompt_displayed, timeout=15_000):
        pane.input.insertFromMimeData(mime)
    qtbot.waitUntil(lambda: "[1] 42" in pane.output.toPlainText(), timeout=5_000)
    pane.output.flush_now()
    assert "> p <- 20\n> q <- 22\n> p + q\n[1] 42" in pane.output.toPlainText()


def test_r_width_follows_the_pane(pane, qtbot, shared) -> None:
    pane.resize(400, 300)
    qtbot.waitUntil(lambda: shared.session._width is not None and shared.session._width < 60, timeout=5_000)
    narrow = shared.eval(qtbot, 'getOption("width")')
    pane.resize(1000, 300)
    qtbot.waitUntil(lambda: shared.session._width > narrow, timeout=5_000)
    wide = shared.eval(qtbot, 'getOption("width")')
    assert 20 < narrow < wide


def test_a_flood_of_output_arrives_whole_and_bounded(pane, qtbot) -> None:
    with qtbot.waitSignal(pane.sig_prompt_displayed, timeout=60_000):
        pane.submit('for (i in 1:100000) cat("line", i, "\\n")')
    qtbot.waitUntil(lambda: pane.output.pending_lines == 0, timeout=30_000)
    doc = pane.output.document()
    assert doc.blockCount() <= 10_000
    assert doc.lastBlock().text() == "line 100000 "
