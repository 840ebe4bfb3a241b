"""The Packages pane (lower right, beside Files, Plots and Help), its menu and dialogs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from webr_desktop.core.packages.service import PackageService
    from webr_desktop.models.package_session import PackageSession
    from webr_desktop.models.packages_service import PackagesService
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.main_window import MainWindow
    from webr_desktop.ui.packages.packages_pane import PackagesPane


def add_packages(
    window: MainWindow, session: RSession, core: PackageService | None = None, sources_file: Path | None = None,
    package_session: PackageSession | None = None,
) -> PackagesPane:
    """The pane, its service (host installs in worker threads, R for attach/detach) and the
    Packages menu. ``core`` defaults to the user's saved sources and persistent library.
    ``package_session`` is R's side of the persistent library: what R's own package verbs did
    (progress, changed packages) shows in the pane, and what the pane installs or removes is
    pushed into R's view of the library. Without it (no R side), the pane itself offers a
    package R's error says is missing."""
    from webr_desktop.core import paths
    from webr_desktop.models.packages import PackagesModel
    from webr_desktop.models.packages_service import PackagesService
    from webr_desktop.ui.packages.packages_pane import PackagesPane

    if core is None:
        from webr_desktop.core.packages.service import PackageService

        core = PackageService.from_config()
        sources_file = sources_file or paths.package_sources_file()
    model = PackagesModel(window)
    service = PackagesService(session, model, core, sources_file=sources_file, parent=window,
                              system_cache=paths.user_cache_dir() / "system-library.json")
    pane = PackagesPane(model)
    window.add_side_pane("Packages", pane)
    window.add_menu("Pac&kages", [*pane.menu_actions(), pane.repositories_action])
    window.packages_service = service

    pane.sig_refresh_requested.connect(service.refresh)
    pane.sig_refresh_requested.connect(lambda: service.check_sources(network=True))
    pane.sig_remove_requested.connect(service.remove)
    pane.sig_install_requested.connect(lambda: open_install_dialog(window, service))
    pane.sig_install_file_requested.connect(lambda path: open_install_dialog(window, service, file=path))
    pane.sig_update_requested.connect(lambda: open_update_dialog(window, service))
    pane.repositories_action.triggered.connect(lambda: open_repositories_dialog(window, service))
    pane.sig_install_missing_requested.connect(lambda name: install_now(service, pane, [name]))
    service.sig_r_said.connect(pane.show_r_message)
    service.sig_restart_offered.connect(pane.offer_restart)
    service.sig_missing_package.connect(lambda name, c: pane.offer_missing(name, c.version, c.source))
    service.sig_sources_checked.connect(lambda _statuses, summary: pane.set_sources_status(summary))
    service.sig_install_progress.connect(lambda event: pane.show_progress(_progress_text(event)))
    service.sig_install_finished.connect(lambda names: pane.show_progress(""))
    service.sig_install_failed.connect(lambda error: (pane.show_progress(""), pane.show_r_message(error)))
    service.sig_removed.connect(lambda names: pane.show_progress(""))
    service.sig_problem.connect(window.show_problem)
    window.sig_closing.connect(service.shutdown)
    if package_session is not None:
        # R itself reports a missing package and suggests Restart R after its own verbs; the
        # console shows those offers (window.py), so the pane doesn't repeat them.
        service.watch_console = False
        package_session.sig_library_changed.connect(service.on_library_changed)
        package_session.sig_progress.connect(service.on_r_progress)
        service.sig_install_finished.connect(package_session.report_changed)
        service.sig_removed.connect(package_session.report_changed)
    return pane


def _progress_text(event) -> str:  # noqa: ANN001 - core.packages.service.Progress
    if event.phase == "download":
        total = f" of {event.total:,}" if event.total else ""
        return f"{event.package}: downloading {event.done:,}{total} bytes"
    if event.phase in ("done", "error"):  # the list shows the package; errors go to the notice
        return ""
    return f"{event.package}: {event.phase}"


def install_now(service: PackagesService, pane: PackagesPane, names: Sequence[str]) -> None:
    """The one-click install of a missing package: plan, then install what the plan says."""
    request = service.plan(list(names))

    def on_plan(rid: int, plan: list) -> None:
        if rid == request:
            service.sig_plan_ready.disconnect(on_plan)
            service.install(plan)

    def on_failed(rid: int, error: str) -> None:
        if rid == request:
            service.sig_plan_failed.disconnect(on_failed)
            pane.show_r_message(error)

    service.sig_plan_ready.connect(on_plan)
    service.sig_plan_failed.connect(on_failed)


def open_install_dialog(window: MainWindow, service: PackagesService, *, names: Sequence[str] = (),
                        file: str = ""):
    from webr_desktop.ui.packages.install_dialog import InstallDialog

    title = "Install from File" if file else "Update Packages" if names else "Install Packages"
    dialog = InstallDialog(service, window, names=names, file=file, title=title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.install_dialog = dialog
    dialog.show()
    return dialog


def open_update_dialog(window: MainWindow, service: PackagesService):
    from webr_desktop.ui.packages.update_dialog import UpdateDialog

    dialog = UpdateDialog(service, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.sig_update_requested.connect(lambda names: open_install_dialog(window, service, names=names))
    window.update_dialog = dialog
    dialog.show()
    return dialog


def open_repositories_dialog(window: MainWindow, service: PackagesService):
    from webr_desktop.ui.packages.repositories_dialog import RepositoriesDialog

    dialog = RepositoriesDialog(service.source_configs(), window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: service.set_source_configs(dialog.configs()))
    window.repositories_dialog = dialog
    dialog.show()
    return dialog
