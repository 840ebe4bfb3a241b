"""The Source area as webr_desktop.app wires it: scripts and View() tabs in one tab bar above
the console, driven as a user would against the real webR.

Screenshots of each state go to $WD_SCREENSHOTS if set, to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QTabBar

from webr_desktop.runtime.session import SessionState
from webr_desktop.ui.main_window import MIN_SHARE

from tests.webengine.driver import ide_window

pytestmark = pytest.mark.webengine

SCRIPT = "sa_a <- 1\nsa_b <- 40 + 2\nsa_c <- 3\n"
VIEWS = 'length(ls(get(".wd.views", "tools:webr_desktop")$views))'


def _window(shared, qtbot, tmp_path: Path, settings: QSettings | None = None):
    settings = settings or QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window, console = ide_window(shared, tmp_path, settings)
    qtbot.addWidget(window)
    window.resize(760, 560)  # fits the offscreen screen (800×600)
    window.show()
    qtbot.waitExposed(window)
    return window, console, settings


def _shot(window, name: str) -> QImage:
    """The window as painted; saved under $WD_SCREENSHOTS if set (not in the project folder,
    where the Files pane would list it)."""
    image = window.grab().toImage()
    if os.environ.get("WD_SCREENSHOTS"):
        Path(os.environ["WD_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        image.save(str(Path(os.environ["WD_SCREENSHOTS"]) / f"{name}.png"))
    return image


def _ink(image: QImage, rect: QRect) -> int:
    """Dark pixels (text) in ``rect``: a table with painted rows has many, a blank one none."""
    return sum(
        QColor(image.pixel(x, y)).lightness() < 110
        for y in range(rect.top(), rect.bottom())
        for x in range(rect.left(), rect.right())
    )


def _rect_in(window, widget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _view(shared, qtbot, window, console, code: str = "View(mtcars)"):
    with qtbot.waitSignal(window.data_service.sig_view_opened, timeout=10_000):
        console.submit(code)
    viewer = window.data_views.current_viewer()
    qtbot.waitUntil(lambda: viewer.model.index(0, 0).data() == "21.0", timeout=5_000)
    qtbot.waitUntil(lambda: shared.session.state is SessionState.IDLE, timeout=5_000)
    return viewer


def _click_tab(qtbot, window, index: int) -> None:
    bar = window.source.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def _close_tab(window, index: int) -> None:
    """The tab's own close button, as a user clicks it."""
    bar = window.source.tabs.tabBar()
    button = bar.tabButton(index, QTabBar.ButtonPosition.RightSide) or bar.tabButton(index, QTabBar.ButtonPosition.LeftSide)
    button.click()


def test_view_beside_a_script_shows_its_rows_and_the_script_keeps_its_place(shared, qtbot, tmp_path: Path) -> None:
    script = tmp_path / "analysis.R"
    script.write_text(SCRIPT, encoding="utf-8")
    window, console, _ = _window(shared, qtbot, tmp_path)
    window.files.sig_open_file.emit(script)  # as a double-click in the Files pane does
    editor = window.editor.current_editor()
    qtbot.waitUntil(window.source.isVisible)
    cursor = editor.textCursor()
    cursor.setPosition(SCRIPT.index("sa_b") + 3)  # inside line 2
    editor.setTextCursor(cursor)
    _shot(window, "1-script")

    viewer = _view(shared, qtbot, window, console)
    assert window.source.tabs.currentWidget() is viewer  # in front, in the one tab bar
    assert [window.source.kind_of(i) for i in range(window.source.count())] == ["script", "data"]
    qtbot.waitUntil(lambda: viewer.height() >= MIN_SHARE * window.height(), timeout=5_000)
    image = _shot(window, "2-view-beside-script")
    table = _rect_in(window, viewer.table.viewport())
    assert table.height() > 100 and _ink(image, table) > 500, "the table's rows are not painted"

    viewer.table.setFocus()  # the user was looking at the data
    _click_tab(qtbot, window, 0)
    assert window.source.tabs.currentWidget() is editor
    assert editor.toPlainText() == SCRIPT and editor.textCursor().blockNumber() == 1
    assert QApplication.focusWidget() is editor  # focus came along to the script
    _shot(window, "3-back-to-script")
    prompts = shared.prompts
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=15_000)
    assert shared.eval(qtbot, "sa_b") == 42  # its line ran
    assert editor.textCursor().blockNumber() == 2  # and the cursor moved on
    _click_tab(qtbot, window, 1)
    assert window.source.tabs.currentWidget() is viewer
    window.files.sig_open_file.emit(script)  # opening the open file again: its tab comes forward
    assert window.source.tabs.currentWidget() is editor and window.source.count() == 2

    _close_tab(window, 1)  # the data tab
    qtbot.waitUntil(lambda: shared.eval(qtbot, VIEWS) == 0, timeout=5_000)  # R let go of the data
    assert window.source.isVisible() and window.source.count() == 1
    _close_tab(window, 0)  # the script (unchanged: no prompt)
    assert not window.source.isVisible()
    qtbot.waitUntil(lambda: console.height() >= window.centre.height() - 2, timeout=5_000)  # all the height
    _shot(window, "4-all-closed")


def test_environment_double_click_opens_a_data_tab_beside_the_scripts(shared, qtbot, tmp_path: Path) -> None:
    window, console, _ = _window(shared, qtbot, tmp_path)
    script = window.editor.new_file("sa_env <- data.frame(n = 1:3, s = c('x', 'y', 'z'))\n")
    prompts = shared.prompts
    qtbot.keyClick(script, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=15_000)
    table = window.environment.table
    model = table.model()
    qtbot.waitUntil(lambda: any(model.index(r, 0).data() == "sa_env" for r in range(model.rowCount())), timeout=5_000)
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "sa_env")
    with qtbot.waitSignal(window.data_service.sig_view_opened, timeout=10_000):
        table.doubleClicked.emit(model.index(row, 0))
    viewer = window.data_views.current_viewer()
    assert window.source.tabs.currentWidget() is viewer
    assert [window.source.kind_of(i) for i in range(window.source.count())] == ["script", "data"]
    assert window.source.tabs.tabText(1) == "sa_env"
    qtbot.waitUntil(lambda: viewer.model.index(2, 1).data() == "z", timeout=5_000)
    qtbot.waitUntil(lambda: viewer.height() >= MIN_SHARE * window.height(), timeout=5_000)
    _shot(window, "5-environment-double-click")
    window.activateWindow()
    qtbot.waitActive(window)
    viewer.table.setFocus()
    qtbot.keyClick(viewer.table, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)  # File ▸ Close
    assert window.data_views.viewers() == [] and window.source.tabs.currentWidget() is script
    script.document().setModified(False)  # nothing to save when the test closes the window
    window.editor.close_tab(0)
    assert not window.source.isVisible()
    shared.run(qtbot, "rm(sa_env)")


def _source_share(window) -> float:
    sizes = window.centre.sizes()
    return sizes[window.centre.indexOf(window.source)] / sum(sizes)


def test_view_without_a_script_and_the_layout_survives_a_restart(shared, qtbot, tmp_path: Path) -> None:
    window, console, settings = _window(shared, qtbot, tmp_path)
    viewer = _view(shared, qtbot, window, console)
    assert window.source.count() == 1
    qtbot.waitUntil(lambda: viewer.height() >= MIN_SHARE * window.height(), timeout=5_000)
    image = _shot(window, "6-view-without-script")
    assert _ink(image, _rect_in(window, viewer.table.viewport())) > 500

    handle = window.centre.handle(1)  # the user drags the splitter: the Source area grows
    start = handle.rect().center()
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(handle, start + QPoint(0, 60))
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=start + QPoint(0, 60))
    share = _source_share(window)
    assert share > 0.6
    window.close()  # the app quits; the next run gets the same settings
    window.data_views.close_all()  # (its R would quit too; this R is shared with other tests)

    script = tmp_path / "again.R"
    script.write_text(SCRIPT, encoding="utf-8")
    again, console = ide_window(shared, tmp_path, settings)
    qtbot.addWidget(again)
    again.editor.open_file(script)  # `webr-desktop again.R` opens it before the window shows
    again.show()
    qtbot.waitExposed(again)
    assert again.size() == window.size()
    qtbot.waitUntil(lambda: abs(_source_share(again) - share) < 0.02, timeout=5_000)
    _view(shared, qtbot, again, console)
    assert abs(_source_share(again) - share) < 0.02
    _shot(again, "7-after-restart")
    again.editor.close_tab(0)

    # The user drags the area almost shut: when it comes back it has at least MIN_SHARE.
    handle = again.centre.handle(1)
    start = handle.rect().center()
    drag = QPoint(0, -int(again.centre.height() * 0.5))
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(handle, start + drag)
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=start + drag)
    assert _source_share(again) < MIN_SHARE
    again.data_views.close_all()
    assert not again.source.isVisible()
    _view(shared, qtbot, again, console)
    qtbot.waitUntil(lambda: _source_share(again) >= MIN_SHARE - 0.01, timeout=5_000)
    again.data_views.close_all()


def test_restart_r_marks_the_data_tab_gone_and_leaves_the_script(fresh, qtbot, tmp_path: Path) -> None:
    window, console, _ = _window(fresh, qtbot, tmp_path)
    script = window.editor.new_file("kept_text <- 1\n")
    viewer = _view(fresh, qtbot, window, console)
    with qtbot.waitSignal(viewer.model.sig_outdated, timeout=30_000):
        window.restart_action.trigger()
    assert viewer.model.is_gone and "restarted" in viewer.notice_label.text() and viewer.notice.isVisible()
    assert not viewer.refresh_button.isVisible()  # nothing in R to refresh from
    assert window.source.count() == 2 and window.source.tabs.currentWidget() is viewer
    _shot(window, "8-after-restart-r")
    _close_tab(window, 1)
    assert window.source.tabs.currentWidget() is script and script.toPlainText() == "kept_text <- 1\n"
    script.document().setModified(False)  # nothing to save when the test closes the window
