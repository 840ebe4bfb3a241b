"""Composition root: the only module that builds and wires every layer.

Start-up order matters for speed: the server and the hidden page start first so webR boots
while the window is being built.
"""

from __future__ import annotations

import gc
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from webr_desktop import __version__
from webr_desktop.core import paths
from webr_desktop.core.history import History
from webr_desktop.core.rcode import r_string
from webr_desktop.core.runtime_assets import RuntimeAssetError, RuntimeInfo, check_runtime
from webr_desktop.runtime.engine import configure_engine, route_qt_messages_to_logging

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from webr_desktop.core.recent_folders import RecentFolders
    from webr_desktop.models.project import ProjectService
    from webr_desktop.net.progress import DownloadProgress
    from webr_desktop.net.proxy import NetworkService
    from webr_desktop.runtime.headless import PlotOutput
    from webr_desktop.runtime.session import RSession
    from webr_desktop.server.blob_inbox import BlobInbox
    from webr_desktop.server.local_server import LocalServer
    from webr_desktop.ui.console.console_pane import ConsolePane
    from webr_desktop.ui.editor.editor_tabs import EditorTabs

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The non-UI services of one app run."""

    server: LocalServer
    session: RSession
    project: ProjectService  # host folders mounted in R, R's working directory
    network: NetworkService  # the proxy child that carries R's sockets
    downloads: DownloadProgress  # download.file() progress, for the status bar

    def shutdown(self) -> None:
        self.network.stop()  # no proxy child outlives the app
        self.session.shutdown()
        self.server.close()


def _check_runtime_or_report(err: TextIO) -> RuntimeInfo | None:
    try:
        return check_runtime()
    except RuntimeAssetError as exc:
        err.write(f"webr-desktop: {exc}\n")
        return None


PAGE_PATH = "page/index.html"


def _r_setup_code(resources: Path) -> str:
    """R code run at every R start: the app's R tools and the worker-side patches."""
    first = ["tools.R", "plots.R"]  # the others build on these
    names = first + sorted(p.name for p in (resources / "R").glob("*.R") if p.name not in first)
    r_files = [(resources / "R" / name).read_text(encoding="utf-8") for name in names]
    worker_names = ("event_channel.js", "flush_at_prompt.js")  # the channel mend first: it serves all R
    worker = [(resources / "worker" / name).read_text(encoding="utf-8") for name in worker_names]
    return "\n".join([*r_files, *(f"webr::eval_js({r_string(js)})" for js in worker), "invisible(NULL)\n"])


def start_server(info: RuntimeInfo) -> LocalServer:
    """The loopback server for the page and the webR assets (and host folders), started."""
    from webr_desktop.server.local_server import LocalServer

    server = LocalServer()
    server.mount("page", paths.resources_dir() / "page")
    server.mount("webr", info.path, immutable=True)
    server.start()
    return server


def new_project(session: RSession, server: LocalServer) -> ProjectService:
    """The service that mounts host folders in ``session`` through ``server``'s drives."""
    from webr_desktop.models.project import ProjectService

    return ProjectService(session, server.drives, server.secret)


def new_session(page_url: str, blobs: BlobInbox | None = None) -> RSession:
    """An R session (not started) for the page at ``page_url``, with the app's R set-up.

    ``blobs`` is the page server's inbox for binary payloads (exports, quick-plot data).
    """
    from webr_desktop.runtime.session import RSession

    return RSession(page_url, setup_code=_r_setup_code(paths.resources_dir()), blobs=blobs)


def new_network(session: RSession, server: LocalServer, policy: str = "all", allow: tuple[str, ...] = ()):
    """Networking for ``session``: the proxy service (not started) and download progress.

    R learns the proxy's port and state at every R start and every state change, so a
    restarted proxy child or the Network toggle takes effect at R's next connection.
    """
    from webr_desktop.net.progress import DownloadProgress
    from webr_desktop.net.proxy import NetworkService
    from webr_desktop.server.fetch import FETCH_PATH, FetchService

    downloads = DownloadProgress()
    fetch = FetchService(downloads.report)
    server.add_handler(FETCH_PATH, fetch.handle)
    network = NetworkService(server.origin, fetch_url=server.url(FETCH_PATH), policy=policy, allow=allow)

    installed_in: list[object] = [None]  # the R start (Ready) whose worker has the routing

    def _tell_r(*_args: object) -> None:
        ready = session.info
        if ready is None:  # R is not up: its sig_started will tell it
            return
        # The routing snippets go once per R start; a state change sends only the new state.
        session.eval(network.r_config_code() if installed_in[0] is ready else network.r_setup_code())
        installed_in[0] = ready

    session.sig_started.connect(_tell_r)
    network.sig_state_changed.connect(_tell_r)
    return network, downloads


def start_services(info: RuntimeInfo, *, network: bool = True, policy: str = "all",
                   allow: tuple[str, ...] = ()) -> Services:
    """Start the loopback server, networking (unless ``network`` is False) and an R session
    (the Qt app must exist)."""
    server = start_server(info)
    session = new_session(server.url(PAGE_PATH), server.blobs)
    project = new_project(session, server)  # before start: it re-mounts on every sig_started
    proxy, downloads = new_network(session, server, policy, allow)
    if network:
        proxy.start()  # the child is up long before R (≈0.3 s against ≈1.5 s)
    session.start()
    return Services(server=server, session=session, project=project, network=proxy, downloads=downloads)


def build_window(
    session: RSession, project: ProjectService, settings: QSettings, history: History, recent: RecentFolders,
    network: NetworkService | None = None, downloads: DownloadProgress | None = None,
):
    """The main window with its panes, wired to the session, the project folders and networking."""
    from webr_desktop.ui.console.console_pane import ConsolePane
    from webr_desktop.ui.main_window import MainWindow

    window = MainWindow(settings)
    console = ConsolePane(session, history)
    window.add_central_pane(console)
    window.data_service, window.data_views = _add_data_viewer(window, session)
    window.editor = _add_editor(window, session, console, project)
    window.environment = _add_environment(window, session)  # upper right
    window.files = _add_files(window, session, project, window.editor)  # lower right: Files, Plots, Help
    window.environment.sig_view_requested.connect(window.data_service.open_name)
    window.plots = _add_plots(window, session, settings, project)
    window.help = _add_help(window, session)
    window.raise_side_pane("Files" if project.folder else "Plots")  # Help waits until R shows a page
    _add_folder_menu(window, project, recent)
    if network is not None:
        _add_network(window, network, settings)
    window.sig_interrupt_requested.connect(session.interrupt)
    window.sig_restart_requested.connect(session.restart)
    window.set_close_guard(window.editor.maybe_close_all)
    session.sig_busy_changed.connect(window.set_busy)
    if downloads is not None:
        downloads.sig_text_changed.connect(window.show_progress)
    session.sig_started.connect(
        lambda ready: window.set_versions(
            f"R {ready.r_version} · webR {ready.webr_version} · webR Desktop {__version__}"
        )
    )
    session.sig_crashed.connect(lambda reason: window.set_versions(f"R crashed: {reason}"))
    session.sig_start_failed.connect(window.set_versions)
    window.restore_layout()
    return window, console


def _add_editor(window, session: RSession, console: ConsolePane, project: ProjectService):
    """Script editor tabs above the console (shown while a file is open), with R completions."""
    from webr_desktop.models.completion import CompletionService
    from webr_desktop.models.script_source import ScriptSourcer
    from webr_desktop.ui.editor.editor_tabs import EditorTabs

    completions = CompletionService(session, window)
    console.set_completions(completions)
    editor = EditorTabs(completions)
    window.add_central_pane(editor, stretch=3, index=0)
    editor.hide()
    editor.tabs.currentChanged.connect(lambda _index: window.show_central_pane(editor, editor.tabs.count() > 0))
    editor.sig_run_code.connect(console.submit)
    sourcer = ScriptSourcer(session, project, console.submit, window)
    editor.sig_source_requested.connect(
        lambda path, text, echo: sourcer.source(Path(path) if path else None, text, echo)
    )
    sourcer.sig_problem.connect(window.show_problem)
    actions = editor.menu_actions()
    split = next(i for i, a in enumerate(actions) if a.isSeparator())  # file commands first
    window.add_file_actions(actions[:split])
    window.add_menu("&Code", actions[split + 1:])
    return editor


def _add_files(window, session: RSession, project: ProjectService, editor: EditorTabs):
    """The Files pane (lower right, first tab): the project folder, watched on disk."""
    from webr_desktop.ui.files.files_pane import FilesPane

    pane = FilesPane()
    window.add_side_pane("Files", pane)
    pane.set_root(project.folder)
    project.sig_folder_changed.connect(pane.set_root)
    project.sig_problem.connect(window.show_problem)
    pane.sig_open_file.connect(editor.open_file)
    pane.sig_path_renamed.connect(editor.follow_rename)
    pane.sig_paths_deleted.connect(editor.mark_deleted)
    pane.sig_set_working_dir.connect(project.set_working_dir)
    session.sig_command_finished.connect(pane.refresh_details)  # R may have rewritten a file
    return pane


SETTINGS_NETWORK = "network/enabled"
SETTINGS_POLICY = "network/policy"
SETTINGS_ALLOW = "network/allow"


def network_settings(settings: QSettings) -> tuple[bool, str, tuple[str, ...]]:
    """(enabled, policy, allowed hosts) as the user last left them; on and allow-all at first."""
    from webr_desktop.net.tokens import POLICIES

    enabled = str(settings.value(SETTINGS_NETWORK, "true")).lower() == "true"
    policy = str(settings.value(SETTINGS_POLICY, "all"))
    allow = tuple(a for a in str(settings.value(SETTINGS_ALLOW, "")).split("\n") if a)
    return enabled, policy if policy in POLICIES else "all", allow


def _add_network(window, network: NetworkService, settings: QSettings) -> None:
    """Session ▸ Network (on/off) and Network Policy, and the status-bar indicator."""
    from webr_desktop.ui.network_status import NetworkControls

    controls = NetworkControls(*network.policy, window)
    window.add_session_actions([controls.toggle_action, controls.policy_menu])
    window.add_status_widget(controls.label)
    controls.set_state(network.state, network.detail)
    network.sig_state_changed.connect(controls.set_state)

    def _on_enabled(on: bool) -> None:
        settings.setValue(SETTINGS_NETWORK, "true" if on else "false")
        network.start() if on else network.stop()

    def _on_policy(new_policy: str, hosts: tuple) -> None:
        settings.setValue(SETTINGS_POLICY, new_policy)
        settings.setValue(SETTINGS_ALLOW, "\n".join(hosts))
        network.set_policy(new_policy, tuple(hosts))

    controls.sig_enabled_changed.connect(_on_enabled)
    controls.sig_policy_changed.connect(_on_policy)
    window.network_controls = controls


def _add_folder_menu(window, project: ProjectService, recent: RecentFolders) -> None:
    """File ▸ Open Folder… and Open Recent; the window title names the project folder."""
    from webr_desktop.ui.files.folder_menu import FolderMenu

    menu = FolderMenu(recent, window)
    window.add_file_actions([menu.open_action, menu.recent_menu])
    menu.sig_folder_chosen.connect(project.open_folder)
    window.files.sig_open_folder_requested.connect(menu.choose_folder)

    def _on_folder_changed(folder: Path) -> None:
        recent.add(folder)
        menu.rebuild()
        window.setWindowTitle(f"{folder.name} — webR Desktop")

    project.sig_folder_changed.connect(_on_folder_changed)
    if project.folder is not None:
        _on_folder_changed(project.folder)


def _add_data_viewer(window, session: RSession):
    """Data viewer tabs above the console, shown while a viewer is open."""
    from webr_desktop.models.data_view import DataViewService
    from webr_desktop.ui.data.data_viewer_tabs import DataViewerTabs

    service = DataViewService(session, window)
    tabs = DataViewerTabs()
    window.add_central_pane(tabs, stretch=2, index=0)
    tabs.hide()
    service.sig_view_opened.connect(tabs.add_viewer)
    tabs.sig_raise_requested.connect(tabs.show)
    tabs.sig_emptied.connect(tabs.hide)
    service.sig_problem.connect(window.show_problem)
    return service, tabs


def _add_environment(window, session: RSession):
    """The Environment pane (upper right), refreshed from R after each command."""
    from webr_desktop.models.environment import EnvironmentModel, EnvironmentService
    from webr_desktop.ui.environment.environment_pane import EnvironmentPane

    model = EnvironmentModel(window)
    service = EnvironmentService(session, model, window)  # one per session: R diffs against it
    pane = EnvironmentPane(model)
    window.add_side_pane("Environment", pane, group="upper")
    pane.sig_refresh_requested.connect(lambda: service.refresh(full=True))
    pane.sig_remove_requested.connect(service.remove)
    pane.sig_clear_requested.connect(service.clear)
    service.sig_problem.connect(window.show_problem)
    return pane


def _add_plots(window, session: RSession, settings: QSettings, project: ProjectService):
    """The Plots pane and its service, with the Plots menu, export, copy, zoom and quick plots."""
    from webr_desktop.models.plot_history import PlotHistory
    from webr_desktop.models.plot_service import PlotService
    from webr_desktop.ui.plots.plot_actions import PlotActions
    from webr_desktop.ui.plots.plots_pane import PlotsPane

    history = PlotHistory(window)
    service = PlotService(session, history, window)
    pane = PlotsPane(history)
    window.add_side_pane("Plots", pane)
    history.sig_added.connect(lambda: window.raise_side_pane("Plots"))
    window.add_menu("&Plots", pane.menu_actions())
    actions = PlotActions(service, pane, settings, project.folder or Path.cwd(), window)
    pane.sig_view_resized.connect(service.set_view_size)
    pane.sig_remove_requested.connect(service.remove)
    pane.sig_clear_requested.connect(actions.confirm_clear)
    pane.sig_export_requested.connect(actions.export)
    pane.sig_copy_requested.connect(actions.copy)
    pane.sig_zoom_requested.connect(actions.zoom)
    service.sig_problem.connect(pane.set_notice)
    service.sig_quick_plot.connect(actions.quick_plot)
    return actions


def _add_help(window, session: RSession):
    """The Help pane, tabbed with Plots; it comes forward when R shows a help page."""
    from webr_desktop.models.help_service import HelpService
    from webr_desktop.ui.help.help_pane import HelpPane

    service = HelpService(session, window)
    pane = HelpPane(service)
    window.add_side_pane("Help", pane)
    window.add_menu("&Help", pane.menu_actions())
    pane.sig_raise_requested.connect(lambda: window.raise_side_pane("Help"))
    return pane


def open_ide(info: RuntimeInfo, settings: QSettings, open_path: Path | None = None):
    """Start R and show the IDE window (the QApplication must exist); used by benchmarks too.

    ``open_path``: a folder becomes the project folder (R's working directory); a file opens
    in the editor with its folder as the project.
    """
    from webr_desktop.core.recent_folders import RecentFolders

    enabled, policy, allow = network_settings(settings)
    services = start_services(info, network=enabled, policy=policy, allow=allow)  # webR boots meanwhile
    history = History(paths.user_data_dir() / "console_history.txt")
    recent = RecentFolders(paths.recent_folders_file())
    if open_path is not None:
        services.project.open_folder(open_path if open_path.is_dir() else open_path.parent)
    window, console = build_window(
        services.session, services.project, settings, history, recent, services.network, services.downloads,
    )
    if open_path is not None and open_path.is_file():
        window.editor.open_file(open_path)
    window.show()
    console.setFocus()
    _start_recovery(window)
    # Everything built so far lives for the whole run: keep it out of the collector's full
    # passes, which otherwise stall the GUI during output floods (measured 10-40 ms each).
    gc.freeze()
    return services, window, console


def _start_recovery(window) -> None:
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


def run_gui(project: Path | None = None, *, exit_after_first_prompt: bool = False) -> int:
    """Open the IDE window."""
    info = _check_runtime_or_report(sys.stderr)
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
    services, window, console = open_ide(info, QSettings(), project)
    app.aboutToQuit.connect(services.shutdown)
    app.aboutToQuit.connect(release_clipboard)

    if exit_after_first_prompt:
        def _report_and_quit(prompt: str) -> None:
            console.prompt_label.repaint()
            print("first prompt shown", flush=True)
            QTimer.singleShot(0, window.close)

        console.sig_prompt_displayed.connect(_report_and_quit)
    return app.exec()


def run_headless(
    source: str, filename: str, *, stdout: TextIO | None = None, stderr: TextIO | None = None,
    plots: PlotOutput | None = None, mount: Path | None = None, network: bool = True,
) -> int:
    """Run R source with no window; returns the exit status. ``mount``: R's working directory."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    info = _check_runtime_or_report(err)
    if info is None:
        return 2
    configure_engine(headless=True)
    route_qt_messages_to_logging()
    from PySide6.QtGui import QGuiApplication

    from webr_desktop.runtime.headless import ScriptRunner

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    services = start_services(info, network=network)
    _wait_for_network(services.network)  # R boots meanwhile; the script's first socket must work
    if mount is not None:
        services.project.sig_problem.connect(lambda text: err.write(f"webr-desktop run: {text}\n"))
        services.project.open_folder(mount)  # mounted and set before the script starts
    runner = ScriptRunner(services.session, source, filename, out, err, plots)
    status: list[int] = []

    def _on_runner_finished(code: int) -> None:
        status.append(code)
        app.quit()

    runner.sig_finished.connect(_on_runner_finished)
    app.exec()
    services.shutdown()
    return status[0] if status else 2


def _wait_for_network(network: NetworkService, timeout_ms: int = 12_000) -> None:
    """Run the event loop until the proxy is on, failed or off (a script's sockets need it)."""
    from PySide6.QtCore import QEventLoop, QTimer

    if network.state != "starting":
        return
    loop = QEventLoop()
    network.sig_state_changed.connect(lambda state, _detail: state != "starting" and loop.quit())
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def _show_fatal_dialog(text: str) -> None:
    """Best effort: tell a user who launched from a desktop icon, not only the terminal."""
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance() or QApplication(sys.argv[:1])
        QMessageBox.critical(None, "webR Desktop", text)
        del app
    except Exception:  # noqa: BLE001 - no display is fine: the terminal message was printed
        log.debug("could not show the fatal dialog", exc_info=True)
