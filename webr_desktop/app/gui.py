"""The IDE window as a way to run: start the services, build the window, offer recovery."""

from __future__ import annotations

import gc
import importlib
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from webr_desktop.app.panes.network import network_settings
from webr_desktop.app.services import Services, check_runtime_or_report, start_services
from webr_desktop.core import paths
from webr_desktop.core.history import History
from webr_desktop.core.runtime_assets import RuntimeInfo
from webr_desktop.runtime.engine import configure_engine, route_qt_messages_to_logging

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QGuiApplication

    from webr_desktop.ui.console.console_pane import ConsolePane
    from webr_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)
DESKTOP_ID = "io.github.webrdesktop.WebRDesktop"  # installer/'s .desktop and metainfo name
WINDOW_MODULE = "webr_desktop.app.window"


def _run_browser_tasks() -> None:
    """Between two panes of the window build: let Chromium's browser side, which runs on this
    thread, hand webR's worker what it waits for (each request's response passes through here;
    measured: a 180 ms block of this thread while R.wasm loads delays R's start by as much).
    User input waits; what the page says is held by the caller."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


def open_ide(
    info: RuntimeInfo, settings: QSettings, open_path: Path | None = None,
) -> tuple[Services, MainWindow, ConsolePane]:
    """Start R and show the IDE window (the QApplication must exist); used by benchmarks too.

    ``open_path``: a folder becomes the project folder (R's working directory); a file opens
    in the editor with its folder as the project.
    """
    from webr_desktop.core.recent_folders import RecentFolders

    enabled, policy, allow = network_settings(settings)
    services = start_services(info, network=enabled, policy=policy, allow=allow)  # webR boots meanwhile
    importer = threading.Thread(target=importlib.import_module, args=(WINDOW_MODULE,), name="window-imports",
                                daemon=True)
    importer.start()  # ~0.1 s of imports, while the GUI thread waits on the page's boot
    history = History(paths.user_data_dir() / "console_history.txt")
    recent = RecentFolders(paths.recent_folders_file())
    session = services.session
    session.hold_page()  # nothing the page says reaches a pane before the window exists
    try:
        session.let_page_boot()  # the page's steps on the GUI thread first, then the window
        importer.join()
        from webr_desktop.app.window import build_window

        if open_path is not None:
            services.project.open_folder(open_path if open_path.is_dir() else open_path.parent)
        window, console = build_window(
            session, services.project, settings, history, recent, services.network, services.downloads,
            packages=services.package_service, package_session=services.packages,
            package_sources=paths.package_sources_file(),
            server=services.server, pump=_run_browser_tasks,
        )
    finally:
        session.release_page()
    if open_path is not None and open_path.is_file():
        window.editor.open_file(open_path)
    window.show()
    console.setFocus()
    start_recovery(window)
    # Everything built so far lives for the whole run: keep it out of the collector's full
    # passes, which otherwise stall the GUI during output floods (measured 10-40 ms each).
    gc.freeze()
    return services, window, console


def start_recovery(window: MainWindow) -> None:
    """Mirror unsaved editor buffers to disk; offer what a crashed run left behind."""
    from webr_desktop.core.recovery import RecoveryStore
    from webr_desktop.models.autosave import Autosaver
    from webr_desktop.ui.files.recovery_dialog import ask_restore

    store = RecoveryStore(paths.recovery_dir())
    orphans = store.orphans()
    if orphans:
        if ask_restore(window, orphans):
            window.editor.restore_buffers(orphans)
        store.discard_orphans()
    autosaver = Autosaver(window.editor.unsaved_buffers, store, parent=window)
    window.editor.sig_buffers_changed.connect(autosaver.mark_dirty)
    autosaver.sig_save_failed.connect(lambda why: window.show_problem(f"Autosave failed: {why}"))
    autosaver.mark_dirty()  # restored buffers are unsaved too

    def _on_closing() -> None:  # a clean exit: nothing left to recover
        autosaver.stop()
        store.close()

    window.sig_closing.connect(_on_closing)
    window.autosaver = autosaver


def set_app_identity(app: QGuiApplication) -> None:
    """Window icon, and the .desktop entry's name so docks and taskbars match the two."""
    from PySide6.QtGui import QIcon

    app.setWindowIcon(QIcon(str(paths.app_icon())))
    app.setDesktopFileName(DESKTOP_ID)


def run_gui(project: Path | None = None, *, exit_after_first_prompt: bool = False) -> int:
    """Open the IDE window; returns the application's exit status."""
    info = check_runtime_or_report(sys.stderr)
    if info is None:
        _show_fatal_dialog(
            "The webR runtime is missing or damaged.\n\nRun `webr-desktop fetch-runtime` to fetch and verify it."
        )
        return 2
    configure_engine()
    route_qt_messages_to_logging()
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from webr_desktop.ui.plots.clipboard import release_clipboard

    app = QApplication.instance() or QApplication(sys.argv[:1])
    set_app_identity(app)
    services, window, console = open_ide(info, QSettings(), project)
    app.aboutToQuit.connect(services.shutdown)
    app.aboutToQuit.connect(release_clipboard)

    if exit_after_first_prompt:
        _report_first_prompt(services, window, console)
    return app.exec()


def _report_first_prompt(services: Services, window: MainWindow, console: ConsolePane) -> None:
    """Benchmarks (bench/startup.py): print when R's first prompt is on screen, then when R
    answers a first command (which waits behind R's start-up code, as a user's would), then quit."""
    from PySide6.QtCore import QTimer

    def _answered(*_args: object) -> None:
        print("first command answered", flush=True)
        QTimer.singleShot(0, window.close)

    def _on_prompt(_prompt: str) -> None:
        console.sig_prompt_displayed.disconnect(_on_prompt)
        console.prompt_label.repaint()
        print("first prompt shown", flush=True)
        request = services.session.eval("0")
        request.sig_finished.connect(_answered)
        request.sig_failed.connect(_answered)

    console.sig_prompt_displayed.connect(_on_prompt)


def _show_fatal_dialog(text: str) -> None:
    """Best effort: tell a user who launched from a desktop icon, not only the terminal."""
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance() or QApplication(sys.argv[:1])
        QMessageBox.critical(None, "webR Desktop", text)
        del app
    except Exception:  # noqa: BLE001 - no display is fine: the terminal message was printed
        log.debug("could not show the fatal dialog", exc_info=True)
