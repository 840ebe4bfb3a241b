"""Builds the main window: each pane's wiring in a fixed, readable order, then the links
between panes — all of them here, so a reader sees every cross-pane connection at once.

The order sets the layout: central panes stack above the console in the order added (each
goes on top; today one, the Source area of scripts and data); side panes fill the
upper-right group, then the lower-right tabs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from webr_desktop.app.panes.breakpoints import add_breakpoints
from webr_desktop.app.panes.console import add_console, connect_package_offers
from webr_desktop.app.panes.debug import add_debug
from webr_desktop.app.panes.environment import add_environment
from webr_desktop.app.panes.files import add_files
from webr_desktop.app.panes.folders import add_folder_menu
from webr_desktop.app.panes.help import add_help
from webr_desktop.app.panes.network import add_network
from webr_desktop.app.panes.packages import add_packages
from webr_desktop.app.panes.plots import add_plots
from webr_desktop.app.panes.rstudioapi import add_rstudioapi
from webr_desktop.app.panes.session import add_session_status
from webr_desktop.app.panes.source import add_source
from webr_desktop.app.panes.viewer import add_viewer

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from webr_desktop.core.history import History
    from webr_desktop.core.packages.service import PackageService
    from webr_desktop.core.recent_folders import RecentFolders
    from webr_desktop.models.package_session import PackageSession
    from webr_desktop.models.project import ProjectService
    from webr_desktop.net.progress import DownloadProgress
    from webr_desktop.net.proxy import NetworkService
    from webr_desktop.runtime.session import RSession
    from webr_desktop.server.local_server import LocalServer
    from webr_desktop.ui.console.console_pane import ConsolePane
    from webr_desktop.ui.main_window import MainWindow


def build_window(
    session: RSession, project: ProjectService, settings: QSettings, history: History, recent: RecentFolders,
    network: NetworkService | None = None, downloads: DownloadProgress | None = None,
    packages: PackageService | None = None, package_session: PackageSession | None = None,
    package_sources: Path | None = None, server: LocalServer | None = None,
    pump: Callable[[], None] = lambda: None,
) -> tuple[MainWindow, ConsolePane]:
    """The main window with its panes, wired to the session, the project folders and networking.

    The panes stay reachable as window attributes (``source`` and its ``editor`` and
    ``data_views``, ``files``, ``plots``, …) for the start-up code, tests and benchmarks.
    ``packages``: the host package manager (default: the user's saved sources and persistent
    library); ``package_session``: R's side of that library; ``package_sources``: where
    Packages ▸ Repositories… saves the sources. ``server`` (the page's loopback server)
    carries rstudioapi's calls from R; without it rstudioapi stays unavailable. ``pump`` runs
    between panes (start-up: the page's pending work on this thread, see app/gui.py).
    """
    from webr_desktop.ui.main_window import MainWindow

    window = MainWindow(settings)
    pump()
    # Central area, bottom to top: console, then the Source area (script and data tabs).
    console = add_console(window, session, history)
    pump()
    window.source, window.data_service, completions = add_source(window, session, project, console.submit)
    window.editor, window.data_views = window.source.editor, window.source.data
    window.breakpoints = add_breakpoints(window, session, project, settings, window.source)
    pump()
    # Right: Environment above; Files, Plots, Help, Viewer and Packages tabbed below.
    window.environment = add_environment(window, session)
    window.files = add_files(window, session, project)
    pump()
    window.plots = add_plots(window, session, settings, project)
    pump()
    window.help = add_help(window, session)
    pump()
    window.viewer = add_viewer(window, session, network)
    pump()
    window.packages = add_packages(window, session, packages, package_sources, package_session)
    pump()
    window.folder_menu = add_folder_menu(window, project, recent)
    if network is not None:
        window.network_controls = add_network(window, network, settings, downloads)
    add_session_status(window, session)
    window.debug = add_debug(window, session, settings)
    pump()

    # Links between panes.
    console.set_completions(completions)  # the editor's completion service serves both
    window.editor.sig_run_code.connect(console.submit)
    window.files.sig_open_file.connect(window.editor.open_file)
    window.files.sig_path_renamed.connect(window.editor.follow_rename)
    window.files.sig_paths_deleted.connect(window.editor.mark_deleted)
    window.files.sig_open_folder_requested.connect(window.folder_menu.choose_folder)
    window.environment.sig_view_requested.connect(
        lambda name: window.data_service.open_name(name, window.debug.debugger.selected if window.environment_service.frame else 0)
    )
    _link_debugger(window, project)
    _add_toggle_breakpoint(window)
    console.sig_help_requested.connect(window.help.show_topic)  # cli's help links
    console.sig_open_file_requested.connect(  # cli's and traceback()'s file links: only files R can see
        lambda path, line: (host := _host_file(project, path)) is not None and window.editor.open_file(host, line)
    )
    window.packages.sig_restart_requested.connect(session.restart)  # an update or removal of a loaded package
    if package_session is not None:  # R's own offers (missing package, Restart R) above the console's input
        connect_package_offers(console, package_session, session)
    if server is not None:  # rstudioapi's calls from R: answered by the editor, console and dialogs
        window.rstudioapi = add_rstudioapi(window, session, project, server, window.editor, console)

    window.raise_side_pane("Files" if project.folder else "Plots")  # Help waits until R shows a page
    window.restore_layout()
    window.debug.dock.hide()  # shown while R browses, whatever the saved layout says
    window.debug.toolbar.hide()
    return window, console


def _host_file(project: ProjectService, r_path: str) -> Path | None:
    """The host file behind an R path R named, if R can see it (inside an open project folder,
    also after symlinks are resolved); R's output is not trusted to name other host files."""
    host = project.host_path(r_path)
    if host is None or project.r_path(host) is None:
        return None
    return host.resolve()


def _link_debugger(window: MainWindow, project: ProjectService) -> None:
    """R's browser: the editor marks the current line, the Environment pane shows the selected
    frame's variables, and both go back to normal when debugging ends."""
    from PySide6.QtWidgets import QDockWidget

    from webr_desktop.ui.editor.debug_location import DebugLocation

    debugger, env = window.debug.debugger, window.environment_service
    window.debug_location = location = DebugLocation(window.editor, lambda r_path: _host_file(project, r_path), debugger.load_text)
    debugger.sig_location_changed.connect(location.show)
    debugger.sig_vars_changed.connect(lambda key, rows: env.show_global() if rows is None else env.show_frame(key, rows))
    debugger.sig_left.connect(location.clear)
    debugger.sig_left.connect(env.show_global)
    debugger.sig_problem.connect(window.show_problem)
    dock = window.findChild(QDockWidget, "dock:Environment")

    def title(key: str, rows: object) -> None:  # which frame the Environment pane shows
        frames, selected = debugger.frames, debugger.selected
        shown = rows is not None and 0 < selected <= len(frames)
        dock.setWindowTitle(f"Environment: {frames[selected - 1].call[:40]}" if shown else "Environment")

    debugger.sig_vars_changed.connect(title)
    debugger.sig_left.connect(lambda: dock.setWindowTitle("Environment"))


def _add_toggle_breakpoint(window: MainWindow) -> None:
    """Debug ▸ Toggle Breakpoint (F9, as in RStudio): the breakpoint on the current script's
    cursor line, whichever pane has the focus."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction, QKeySequence

    def toggle() -> None:
        editor = window.editor.current_editor()
        if editor is not None:
            editor.sig_toggle_breakpoint_requested.emit(editor.textCursor().blockNumber() + 1)

    action = QAction("Toggle &Breakpoint", window)
    action.setShortcut(QKeySequence("F9"))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(toggle)
    menu = window.debug.menu
    menu.insertAction(menu.actions()[0], action)
    menu.insertSeparator(menu.actions()[1])
    window.debug.actions["toggle_breakpoint"] = action
