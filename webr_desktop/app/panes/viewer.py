"""The Viewer pane (lower right, beside Plots and Help): HTML from R on its own origin."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webr_desktop.net.proxy import NetworkService
    from webr_desktop.runtime.request_guard import RequestGuard
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.main_window import MainWindow
    from webr_desktop.ui.viewer.viewer_pane import ViewerPane

_guard: RequestGuard | None = None


def _viewer_guard() -> RequestGuard:
    """One interceptor on the Viewer's profile: pages reach their own site, and the web only
    while R itself may reach all of it (networking on, allow-all) — HTML from R keeps the
    Network switch and policy too."""
    global _guard
    if _guard is None:
        from PySide6.QtCore import QCoreApplication

        from webr_desktop.runtime.request_guard import RequestGuard
        from webr_desktop.ui.viewer.viewer_pane import viewer_profile

        _guard = RequestGuard(QCoreApplication.instance())
        viewer_profile().setUrlRequestInterceptor(_guard)
    return _guard


def add_viewer(window: MainWindow, session: RSession, network: NetworkService | None = None) -> ViewerPane:
    """The Viewer's private site (a second loopback server), the service that brings pages
    from R, and the pane; web addresses R asks for open in the system browser."""
    from PySide6.QtCore import QUrl

    from webr_desktop.models.viewer import ViewerService
    from webr_desktop.server.viewer_site import ViewerSite
    from webr_desktop.ui.outside import open_outside
    from webr_desktop.ui.viewer.viewer_pane import ViewerPane

    site = ViewerSite()
    site.start()
    guard = _viewer_guard()
    guard.allow_origin(site.origin)
    service = ViewerService(session, lambda data, entry: site.publish(data, entry).url, window)
    pane = ViewerPane(site.locate)
    pane.site = site  # for tests: the origin whose pages the pane shows
    window.add_side_pane("Viewer", pane)
    service.sig_page_ready.connect(pane.show_page)
    service.sig_external_url.connect(lambda url: open_outside(QUrl(url)))
    service.sig_problem.connect(window.show_problem)
    pane.sig_raise_requested.connect(lambda: window.raise_side_pane("Viewer"))
    if network is not None:
        def _on_network(*_args: object) -> None:
            guard.set_network(0, network.is_on and network.policy[0] == "all")

        network.sig_state_changed.connect(_on_network)
        _on_network()
    window.sig_closing.connect(pane.dispose)  # the page goes before Chromium's profile
    window.sig_closing.connect(site.close)
    return pane
