"""The main window as webr_desktop.app wires it: status bar, Session menu, remembered geometry."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from webr_desktop.runtime.session import SessionState

from tests.webengine.driver import INTERRUPT_TIMEOUT, ide_window


def _window(fresh, qtbot, tmp_path: Path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window, console = ide_window(fresh, tmp_path, settings)
    qtbot.addWidget(window)
    return window, console, settings


def test_status_bar_menus_and_title(fresh, qtbot, tmp_path: Path) -> None:
    window, console, _ = _window(fresh, qtbot, tmp_path)
    window.show()
    fresh.session.restart()  # sig_started after the window exists
    qtbot.waitUntil(lambda: "webR 0.6.0" in window.versions_label.text(), timeout=30_000)
    assert "R 4.6" in window.versions_label.text()
    assert tmp_path.name in window.windowTitle()
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert [a.text().replace("&", "") for a in menus["Session"].actions()] == ["Interrupt R", "Restart R", "", "Break on Error"]
    assert [a.text().replace("&", "") for a in menus["Debug"].actions()] == ["Toggle Breakpoint", "", "Next", "Step Into", "Finish Function", "Continue", "Stop"]
    file_items = [a.text().replace("&", "") for a in menus["File"].actions() if not a.isSeparator()]
    assert file_items == [
        "New R Script", "Open File…", "Save", "Save As…", "Close", "Open Folder…", "Open Recent", "Quit",
    ]
    assert tmp_path.resolve() in window.files.root().parents or window.files.root() == tmp_path.resolve()


def test_session_menu_interrupts_and_restarts(fresh, qtbot, tmp_path: Path) -> None:
    window, console, _ = _window(fresh, qtbot, tmp_path)
    window.show()
    qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE, timeout=30_000)
    fresh.run(qtbot, "kept <- TRUE")
    console.submit("cat('looping\\n'); while (TRUE) {}")
    qtbot.waitUntil(lambda: "looping" in console.output.toPlainText().splitlines(), timeout=10_000)  # R runs the loop
    qtbot.waitUntil(lambda: window.busy_label.text() == "R is busy", timeout=5_000)
    with qtbot.waitSignal(console.sig_prompt_displayed, timeout=INTERRUPT_TIMEOUT):
        window.interrupt_action.trigger()
    assert window.busy_label.text() == "Ready"
    with qtbot.waitSignal(fresh.session.sig_started, timeout=60_000):  # 9.8 s measured under load
        window.restart_action.trigger()
    qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE, timeout=30_000)
    assert fresh.eval(qtbot, 'exists("kept")') is False


def test_geometry_is_remembered(fresh, qtbot, tmp_path: Path) -> None:
    window, _, settings = _window(fresh, qtbot, tmp_path)
    window.show()
    window.resize(633, 411)  # fits the offscreen screen, so restore never clamps it
    window.close()
    again, _, _ = _window(fresh, qtbot, tmp_path)
    assert (again.width(), again.height()) == (633, 411)
