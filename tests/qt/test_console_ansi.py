"""ANSI-styled output in the console view: colours and weights in the document's formats,
OSC 8 links that a click activates, and a \\r progress bar that ends as one line."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QTextCursor

from webr_desktop.core.ansi import AnsiParser, rgb, split_carriage_returns
from webr_desktop.ui.console.output_view import ConsoleOutputView


def fragments(view: ConsoleOutputView) -> list[tuple[str, object]]:
    """(text, QTextCharFormat) of every fragment of the document, in order."""
    out = []
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            out.append((frag.text(), frag.charFormat()))
            it += 1
        block = block.next()
    return out


def show(view: ConsoleOutputView, *lines: str) -> None:
    parser = AnsiParser()
    view.append_lines([("stdout", split_carriage_returns(parser.feed(line))) for line in lines])
    view.flush_now()


def test_colours_and_weights_reach_the_document(qtbot) -> None:
    view = ConsoleOutputView()
    qtbot.addWidget(view)
    show(view, "\x1b[31mx\x1b[39m \x1b[1my\x1b[22m \x1b[38;5;208mo\x1b[39m \x1b[3;4mi\x1b[0m")
    frags = dict(fragments(view))
    assert frags["x"].foreground().color() == QColor(*rgb(1))
    assert frags["y"].fontWeight() == QFont.Weight.Bold
    assert frags["o"].foreground().color() == QColor(*rgb(208))
    assert frags["i"].fontItalic() and frags["i"].fontUnderline()
    assert view.toPlainText() == "x y o i"


def test_plain_and_styled_lines_interleave_in_order(qtbot) -> None:
    view = ConsoleOutputView()
    qtbot.addWidget(view)
    view.append_lines([("stdout", "one")])
    show(view, "\x1b[32mtwo\x1b[0m")
    view.append_lines([("stdout", "three"), ("stdout", "")])
    view.flush_now()
    assert view.toPlainText() == "one\ntwo\nthree\n"


def test_a_carriage_return_progress_bar_ends_as_one_line(qtbot) -> None:
    view = ConsoleOutputView()
    qtbot.addWidget(view)
    show(view, "[=   ] 25%\r[==  ] 50%\r\x1b[32m[====] 100%\x1b[0m", "done")
    assert view.toPlainText() == "[====] 100%\ndone"


def test_a_click_on_an_osc8_link_activates_it(qtbot) -> None:
    view = ConsoleOutputView()
    qtbot.addWidget(view)
    view.resize(500, 200)
    view.show()
    qtbot.waitExposed(view)
    show(view, "see \x1b]8;;x-r-help:base::mean\x07?mean\x1b]8;;\x07 here")
    frags = dict(fragments(view))
    assert frags["?mean"].isAnchor() and frags["?mean"].anchorHref() == "x-r-help:base::mean"
    cursor = QTextCursor(view.document())
    cursor.setPosition(len("see ") + 2)
    point = view.cursorRect(cursor).center()
    with qtbot.waitSignal(view.sig_link_activated) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == ["x-r-help:base::mean"]
    with qtbot.assertNotEmitted(view.sig_link_activated):  # plain text is not a link
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(2, point.y()))
