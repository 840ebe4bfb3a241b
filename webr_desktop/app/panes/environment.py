"""The Environment pane (upper right), refreshed from R after each command."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.environment.environment_pane import EnvironmentPane
    from webr_desktop.ui.main_window import MainWindow


def add_environment(window: MainWindow, session: RSession) -> EnvironmentPane:
    """The global environment's objects, kept by a service that asks R only for changes."""
    from webr_desktop.models.environment import EnvironmentModel, EnvironmentService
    from webr_desktop.ui.environment.environment_pane import EnvironmentPane

    model = EnvironmentModel(window)
    service = EnvironmentService(session, model, window)  # one per session: R diffs against it
    window.environment_service = service  # the debugger shows frames through it (app/window.py)
    pane = EnvironmentPane(model)
    dock = window.add_side_pane("Environment", pane, group="upper")
    dock.visibilityChanged.connect(service.set_shown)  # a hidden tab asks R nothing
    pane.sig_refresh_requested.connect(lambda: service.refresh(full=True))
    pane.sig_remove_requested.connect(service.remove)
    pane.sig_clear_requested.connect(service.clear)
    service.sig_problem.connect(window.show_problem)
    return pane
