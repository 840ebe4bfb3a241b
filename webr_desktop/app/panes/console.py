"""The console: R's REPL at the bottom of the central area, with its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webr_desktop.core import paths

if TYPE_CHECKING:
    from webr_desktop.core.history import History
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.console.console_pane import ConsolePane
    from webr_desktop.ui.main_window import MainWindow


def add_console(window: MainWindow, session: RSession, history: History) -> ConsolePane:
    """The console pane, the last of the central panes (the Source area goes above it). At
    every R start R is told the console renders colours and links (crayon's and cli's options)."""
    from webr_desktop.ui.console.console_pane import ConsolePane

    console = ConsolePane(session, history)
    window.add_central_pane(console)
    colours = (paths.resources_dir() / "R" / "gui" / "console_colours.R").read_text(encoding="utf-8")
    session.sig_started.connect(lambda _ready: session.eval(colours))
    if session.info is not None:
        session.eval(colours)
    return console
