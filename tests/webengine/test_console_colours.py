"""ANSI colours from real CRAN code in the wired console: Debian bookworm's pure-R crayon
(pinned sha256, apt-get download + dpkg-deb -x) loaded from the project folder; its colours
and weights reach the console's document, its OSC 8 link opens Help, and a \\r progress bar
ends as one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QTextCursor

from tests.fixtures.debian_r import AptUnavailable, package_trees
from tests.webengine.driver import ide_window
from webr_desktop.core.ansi import rgb
from webr_desktop.runtime.session import SessionState

pytestmark = pytest.mark.webengine


@pytest.fixture
def window(shared, qtbot, tmp_path: Path):
    try:
        crayon = package_trees(("r-cran-crayon",))["crayon"]
    except AptUnavailable as exc:
        pytest.skip(str(exc))
    shutil.copytree(crayon, tmp_path / "lib" / "crayon")
    win, console = ide_window(shared, tmp_path)
    qtbot.addWidget(win)
    win.resize(900, 600)
    win.show()
    qtbot.waitExposed(win)
    win.console = console
    # From the project folder into R's own file system, then loaded as any library.
    submit(shared, qtbot, console, f'lib <- file.path(tempdir(), "crayon-lib"); dir.create(lib); '
                                   f'file.copy("{tmp_path}/lib/crayon", lib, recursive = TRUE); '
                                   'library(crayon, lib.loc = lib)')
    return win


def submit(shared, qtbot, console, code: str) -> None:
    prompts = shared.prompts
    console.submit(code)
    qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=20_000)
    console.output.flush_now()


def last_block_fragments(view) -> list[tuple[str, object]]:
    """(text, format) of the fragments of the last non-empty line of output."""
    block = view.document().lastBlock()
    while block.isValid() and not block.text().strip():
        block = block.previous()
    out = []
    it = block.begin()
    while not it.atEnd():
        frag = it.fragment()
        out.append((frag.text(), frag.charFormat()))
        it += 1
    return out


def test_crayon_colours_reach_the_console(shared, qtbot, window) -> None:
    submit(shared, qtbot, window.console, 'cat(crayon::red("x"), crayon::bold("y"), crayon::underline("z"), "\\n")')
    frags = dict(last_block_fragments(window.console.output))
    assert frags["x"].foreground().color() == QColor(*rgb(1))
    assert frags["y"].fontWeight() == QFont.Weight.Bold
    assert frags["z"].fontUnderline()
    assert window.console.output.document().lastBlock().text().strip() == "x y z" or "x y z" in window.console.output.toPlainText()
    submit(shared, qtbot, window.console, 'cat(crayon::make_style("orange")("o"), "\\n")')  # 256 colours
    frags = dict(last_block_fragments(window.console.output))
    assert frags["o"].foreground().color() not in (QColor(*rgb(1)), QColor("black"))


def test_a_crayon_hyperlink_to_a_help_topic_opens_help(shared, qtbot, window) -> None:
    submit(shared, qtbot, window.console, 'cat("see", crayon::hyperlink("?mean", "x-r-help:base::mean"), "\\n")')
    view = window.console.output
    frags = dict(last_block_fragments(view))
    assert frags["?mean"].isAnchor() and frags["?mean"].anchorHref() == "x-r-help:base::mean"
    text = view.toPlainText()
    cursor = QTextCursor(view.document())
    cursor.setPosition(text.rindex("?mean") + 2)
    view.ensureCursorVisible()
    point = view.cursorRect(cursor).center()
    with qtbot.waitSignal(window.help.sig_raise_requested, timeout=20_000):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: window.help.page is not None and "mean" in window.help.page.title.lower(), timeout=20_000)


def test_a_carriage_return_progress_bar_ends_as_one_line(shared, qtbot, window) -> None:
    submit(shared, qtbot, window.console,
           'for (i in 1:5) cat("\\r[", strrep("=", i), strrep(" ", 5 - i), "] ", 20 * i, "%", sep = ""); cat("\\n")')
    lines = window.console.output.toPlainText().splitlines()
    assert lines[-1] == "[=====] 100%" or lines[-2] == "[=====] 100%"
    assert not any("20%" in line for line in lines[-3:])
