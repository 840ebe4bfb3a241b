"""The Plots pane and its service, with the Plots menu, export, copy, zoom and quick plots."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from webr_desktop.models.project import ProjectService
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.main_window import MainWindow
    from webr_desktop.ui.plots.plot_actions import PlotActions


def add_plots(window: MainWindow, session: RSession, settings: QSettings, project: ProjectService) -> PlotActions:
    """Plots drawn by R, shown in the lower right; the pane comes forward on a new plot."""
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
