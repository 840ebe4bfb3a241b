"""Console widgets on their own: input keys and paste, output styling and bounds."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QColor, QTextCursor

from webr_desktop.ui.console.input_line import ConsoleInputLine
from webr_desktop.ui.console.output_view import FORMATS, ConsoleOutputView


def test_enter_submits_the_line_and_clears(qtbot) -> None:
    line = ConsoleInputLine()
    qtbot.addWidget(line)
    qtbot.keyClicks(line, "1+1")
    with qtbot.waitSignal(line.sig_lines_submitted) as blocker:
        qtbot.keyClick(line, Qt.Key.Key_Return)
    assert blocker.args == [["1+1"]]
    assert line.text() == ""


def test_keys_request_history_interrupt_and_clear(qtbot) -> None:
    line = ConsoleInputLine()
    qtbot.addWidget(line)
    with qtbot.waitSignal(line.sig_history_requested) as up:
        qtbot.keyClick(line, Qt.Key.Key_Up)
    with qtbot.waitSignal(line.sig_history_requested) as down:
        qtbot.keyClick(line, Qt.Key.Key_Down)
    assert (up.args, down.args) == ([-1], [1])
    qtbot.keyClicks(line, "partial")
    with qtbot.waitSignal(line.sig_interrupt_requested):
        qtbot.keyClick(line, Qt.Key.Key_Escape)
    assert line.text() == ""
    with qtbot.waitSignal(line.sig_interrupt_requested):
        qtbot.keyClick(line, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(line.sig_clear_requested):
        qtbot.keyClick(line, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)


def test_ctrl_c_with_a_selection_copies_instead_of_interrupting(qtbot) -> None:
    line = ConsoleInputLine()
    qtbot.addWidget(line)
    line.set_text("mean(x)")
    line.selectAll()
    with qtbot.assertNotEmitted(line.sig_interrupt_requested):
        qtbot.keyClick(line, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)


def test_multi_line_paste_submits_complete_lines_and_keeps_the_rest(qtbot) -> None:
    line = ConsoleInputLine()
    qtbot.addWidget(line)
    line.set_text("x <- ")
    mime = QMimeData()
    mime.setText("1\r\ny <- 2\nz <- x +")
    with qtbot.waitSignal(line.sig_lines_submitted) as blocker:
        line.insertFromMimeData(mime)
    assert blocker.args == [["x <- 1", "y <- 2"]]
    assert line.text() == "z <- x +"


def _line_color(view: ConsoleOutputView, text: str) -> QColor:
    block = view.document().find(text).block()
    cursor = QTextCursor(block)
    cursor.movePosition(QTextCursor.MoveOperation.NextCharacter)
    return cursor.charFormat().foreground().color()


def test_output_styles_each_kind(qtbot) -> None:
    view = ConsoleOutputView()
    qtbot.addWidget(view)
    view.append_lines([("input", "> stop('x')"), ("stdout", "plain"), ("error", "Error: x"),
                       ("warning", "Warning message:"), ("message", "hello")])
    view.flush_now()
    assert view.toPlainText() == "> stop('x')\nplain\nError: x\nWarning message:\nhello"
    for kind, text in [("input", "> stop"), ("error", "Error: x"), ("warning", "Warning message"),
                       ("message", "hello")]:
        assert _line_color(view, text) == FORMATS[kind].foreground().color(), kind
    assert _line_color(view, "Error: x") != _line_color(view, "hello")


def test_flood_is_bounded_and_only_queued_until_the_loop_runs(qtbot) -> None:
    """Appending queues and draws nothing itself: the drawing happens in time slices from the
    event loop. (How long a batch takes is bench/widgets.py's console_queue_batch_ms_max.)"""
    view = ConsoleOutputView(max_lines=5_000)
    qtbot.addWidget(view)
    view.show()
    lines = [("stdout", f"line {i}") for i in range(1, 100_001)]
    for start in range(0, len(lines), 4_000):  # arrives in page-sized batches
        view.append_lines(lines[start:start + 4_000])
        assert view.document().blockCount() == 1 and view.toPlainText() == ""
    assert view.pending_lines == 5_000  # older lines would be evicted unseen: never queued
    qtbot.waitUntil(lambda: view.pending_lines == 0, timeout=10_000)
    assert view.document().blockCount() <= 5_000
    assert view.document().lastBlock().text() == "line 100000"


def test_output_stays_on_the_newest_line_when_made_shorter(qtbot) -> None:
    view = ConsoleOutputView()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    view.append_lines([("stdout", f"line {i}") for i in range(200)])
    view.flush_now()
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0
    view.resize(400, 120)  # a data viewer opened above the console
    qtbot.waitUntil(lambda: view.height() == 120)
    assert bar.value() == bar.maximum()
    bar.setValue(10)  # the user scrolled back: a resize keeps their place
    view.resize(400, 300)
    assert bar.value() == 10
