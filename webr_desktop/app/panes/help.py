"""The Help pane, tabbed with Plots; it comes forward when R shows a help page."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.help.help_pane import HelpPane
    from webr_desktop.ui.main_window import MainWindow


def add_help(window: MainWindow, session: RSession) -> HelpPane:
    """R's help rendered by R (Rd2HTML), with the Help menu."""
    from webr_desktop.models.help_service import HelpService
    from webr_desktop.ui.help.help_pane import HelpPane

    service = HelpService(session, window)
    pane = HelpPane(service)
    window.add_side_pane("Help", pane)
    window.add_menu("&Help", pane.menu_actions())
    pane.sig_raise_requested.connect(lambda: window.raise_side_pane("Help"))
    return pane
