"""The data viewer: View() tabs above the console, shown while a viewer is open."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webr_desktop.models.data_view import DataViewService
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.data.data_viewer_tabs import DataViewerTabs
    from webr_desktop.ui.main_window import MainWindow


def add_data_viewer(window: MainWindow, session: RSession) -> tuple[DataViewService, DataViewerTabs]:
    """The service that pages data from R and the tabs that show it."""
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
