"""The composition root: the only package that imports every layer.

Where things go:
- ``services.py``: the non-UI services of one run (server, R session, host folders,
  networking) and their start and shutdown order;
- ``window.py``: builds the main window, calls each pane's wiring in a fixed order, and makes
  every link between panes;
- ``panes/<pane>.py``: one ``add_<pane>(window, …)`` per pane that creates the pane and its
  model/service, adds it to the window and connects its own signals. **A new pane's wiring
  goes in a new module here**, called from ``window.py``; panes never import one another;
- ``gui.py`` / ``headless.py``: the two ways to run (the IDE window, ``webr-desktop run``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from webr_desktop.app.gui import open_ide, run_gui, start_recovery
from webr_desktop.app.headless import run_headless
from webr_desktop.app.panes.network import network_settings
from webr_desktop.app.services import (
    PAGE_PATH,
    Services,
    new_network,
    new_packages,
    new_project,
    new_session,
    start_server,
    start_services,
)

if TYPE_CHECKING:
    from webr_desktop.app.window import build_window


def __getattr__(name: str) -> object:
    # The window's modules (every pane, ~0.3 s of imports) load only when a window is built,
    # after the runtime page has started booting (gui.open_ide), not at `import webr_desktop.app`.
    if name == "build_window":
        from webr_desktop.app.window import build_window

        return build_window
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "PAGE_PATH", "Services", "build_window", "network_settings", "new_network", "new_packages", "new_project", "new_session",
    "open_ide", "run_gui", "run_headless", "start_recovery", "start_server", "start_services",
]
