"""The data, environment and help panes as webr_desktop.app wires them, driven as a user would."""

from __future__ import annotations

from pathlib import Path


from webr_desktop.runtime.session import SessionState

from tests.webengine.driver import ide_window
from webr_desktop.ui.plots.quick_plot import QuickPlotWindow


def _window(shared, qtbot, tmp_path: Path):
    window, console = ide_window(shared, tmp_path)
    qtbot.addWidget(window)
    window.show()
    return window, console


def _submit(shared, qtbot, console, code: str) -> None:
    prompts = shared.prompts
    console.submit(code)
    qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=15_000)


def _in_front(widget) -> bool:
    """Shown and not behind another tab (a tabbed dock stays isVisible() when covered)."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def _env_row(window, name: str) -> int:
    model = window.environment.table.model()
    for row in range(model.rowCount()):
        if model.index(row, 0).data() == name:
            return row
    return -1


def test_environment_double_click_opens_a_viewer_and_closing_hides_the_tabs(shared, qtbot, tmp_path: Path) -> None:
    window, console = _window(shared, qtbot, tmp_path)
    tabs = window.data_views
    assert not window.source.isVisible()
    _submit(shared, qtbot, console, "ide_x <- data.frame(a = 1:5, b = letters[1:5])")
    qtbot.waitUntil(lambda: _env_row(window, "ide_x") >= 0, timeout=5_000)
    table = window.environment.table
    index = table.model().index(_env_row(window, "ide_x"), 0)
    with qtbot.waitSignal(window.data_service.sig_view_opened, timeout=10_000):
        table.doubleClicked.emit(index)
    assert window.source.isVisible() and len(tabs.viewers()) == 1
    model = tabs.current_viewer().model
    qtbot.waitUntil(lambda: model.rowCount() == 5 and model.columnCount() == 2, timeout=5_000)
    qtbot.waitUntil(lambda: model.index(4, 1).data() == "e", timeout=5_000)
    tabs.close_all()
    assert not window.source.isVisible()
    _submit(shared, qtbot, console, "rm(ide_x)")
    qtbot.waitUntil(lambda: _env_row(window, "ide_x") < 0, timeout=5_000)


def test_view_at_the_console_and_the_quick_plot_action(shared, qtbot, tmp_path: Path) -> None:
    window, console = _window(shared, qtbot, tmp_path)
    with qtbot.waitSignal(window.data_service.sig_view_opened, timeout=10_000):
        console.submit("View(mtcars)")
    viewer = window.data_views.current_viewer()
    qtbot.waitUntil(lambda: viewer.model.index(0, 0).data() == "21.0", timeout=5_000)
    assert window.source.tabs.tabText(window.source.tabs.currentIndex()) == "mtcars"
    menu = viewer.header_menu(0)
    quick = next(a for a in menu.actions() if "Quick plot" in a.text())
    assert quick.isEnabled()
    quick.trigger()
    qtbot.waitUntil(lambda: any(isinstance(w, QuickPlotWindow) for w in window.plots.windows), timeout=10_000)
    for w in list(window.plots.windows):
        w.close()
    window.data_views.close_all()
    count = 'length(ls(get(".wd.views", "tools:webr_desktop")$views))'
    qtbot.waitUntil(lambda: shared.eval(qtbot, count) == 0, timeout=5_000)  # R let go of the data


def test_help_at_the_console_shows_in_the_help_pane(shared, qtbot, tmp_path: Path) -> None:
    window, console = _window(shared, qtbot, tmp_path)
    _submit(shared, qtbot, console, "?lm")
    browser = window.help.browser
    qtbot.waitUntil(lambda: "Fitting Linear Models" in browser.toPlainText(), timeout=15_000)
    qtbot.waitUntil(lambda: _in_front(window.help), timeout=5_000)  # it came forward over Plots
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    back = next(a for a in menus["Help"].actions() if a.text().replace("&", "").startswith("Back"))
    assert not back.isEnabled()


def test_plots_come_forward_when_r_draws(shared, qtbot, tmp_path: Path) -> None:
    window, console = _window(shared, qtbot, tmp_path)
    qtbot.waitExposed(window)
    # At start the project's Files pane is in front of Plots and Help (its tab group).
    qtbot.waitUntil(lambda: _in_front(window.files) and not _in_front(window.plots.pane) and not _in_front(window.help))
    _submit(shared, qtbot, console, "?mean")
    qtbot.waitUntil(lambda: _in_front(window.help) and not _in_front(window.plots.pane), timeout=15_000)
    _submit(shared, qtbot, console, "plot(1:3)")
    qtbot.waitUntil(lambda: _in_front(window.plots.pane) and not _in_front(window.help), timeout=10_000)


def test_editor_runs_lines_and_sources_files_in_the_project(shared, qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    script = tmp_path / "analysis.R"
    script.write_text('ed_a <- 1\ned_b <- c(1,\n  2,\n  3)\nwriteLines("from source", "sourced.txt")\n', encoding="utf-8")
    window, console = _window(shared, qtbot, tmp_path)
    window.files.sig_open_file.emit(script)  # as a double-click in the Files pane does
    editor = window.editor.current_editor()
    qtbot.waitUntil(lambda: window.editor.isVisible())
    assert editor.toPlainText().startswith("ed_a <- 1")
    editor.setFocus()
    prompts = shared.prompts
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # line 1
    qtbot.waitUntil(lambda: shared.prompts > prompts, timeout=15_000)
    prompts = shared.prompts
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # the 3-line call, whole
    qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=15_000)
    assert shared.eval(qtbot, "ed_b") == [1, 2, 3]
    assert editor.textCursor().blockNumber() == 4  # moved past the expression
    with qtbot.waitSignal(shared.session.sig_command_finished, timeout=15_000):
        window.editor.source(echo=False)  # Ctrl+Shift+S: by its R path, inside the mounted project
    qtbot.waitUntil(lambda: (tmp_path / "sourced.txt").exists(), timeout=10_000)
    assert (tmp_path / "sourced.txt").read_text(encoding="utf-8") == "from source\n"
    inputs = [text for kind, text in shared.events if kind == "input"]
    assert f'> source("{script}", echo = FALSE)' in inputs


def test_an_untitled_buffer_is_sourced_from_a_temporary_copy(shared, qtbot, tmp_path: Path) -> None:
    window, _console = _window(shared, qtbot, tmp_path)
    editor = window.editor.new_file('untitled_x <- "it\'s \\\\ é"\n')
    with qtbot.waitSignal(shared.session.sig_command_finished, timeout=15_000):
        window.editor.source(echo=True)
    assert shared.eval(qtbot, "untitled_x") == "it's \\ é"
    editor.document().setModified(False)  # nothing to save when the test closes the window


def test_files_pane_shows_the_size_of_a_file_r_rewrote(shared, qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QLocale

    from webr_desktop.ui.files.file_tree_model import FileTreeModel

    data = tmp_path / "data.csv"
    data.write_text("x\n1\n", encoding="utf-8")
    window, console = _window(shared, qtbot, tmp_path)
    model = window.files.model
    qtbot.waitUntil(lambda: model.index_for(data).isValid(), timeout=5_000)
    _submit(shared, qtbot, console, 'write.csv(data.frame(x = 1:5000), "data.csv", row.names = FALSE)')
    assert data.stat().st_size > 20_000
    size = model.index_for(data).siblingAtColumn(FileTreeModel.SIZE)  # rows may have moved meanwhile
    assert model.data(size) == QLocale.system().formattedDataSize(data.stat().st_size)


def test_a_closed_environment_pane_asks_r_nothing_until_shown_again(shared, qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QDockWidget

    window, console = _window(shared, qtbot, tmp_path)
    dock = window.findChild(QDockWidget, "dock:Environment")
    qtbot.waitUntil(lambda: dock.isVisible(), timeout=5_000)
    dock.close()  # the dock's own close button
    with qtbot.waitSignal(shared.session.sig_settled, timeout=15_000):
        _submit(shared, qtbot, console, "hidden_env_x <- 1")
    assert shared.eval(qtbot, "hidden_env_x") == 1  # replies come in order: a refresh would be in
    assert _env_row(window, "hidden_env_x") < 0  # no refresh while no one sees it
    dock.show()
    qtbot.waitUntil(lambda: _env_row(window, "hidden_env_x") >= 0, timeout=10_000)
    _submit(shared, qtbot, console, "rm(hidden_env_x)")
