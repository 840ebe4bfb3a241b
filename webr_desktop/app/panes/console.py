"""The console: R's REPL at the bottom of the central area, with its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from webr_desktop.core import paths
from webr_desktop.core.rcode import r_string

if TYPE_CHECKING:
    from webr_desktop.core.history import History
    from webr_desktop.models.package_session import PackageSession
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


def connect_package_offers(console: ConsolePane, packages: PackageSession, session: RSession) -> None:
    """R's package offers as one-click actions above the console's input: install a package
    ``library()`` didn't find (the click types ``install.packages("foo")``, so R shows its own
    progress), or restart R after a package it had loaded was updated or removed."""
    _PackageOffers(console, packages, session)


class _PackageOffers(QObject):
    """Bound slots owned by the console, so the links die with it."""

    def __init__(self, console: ConsolePane, packages: PackageSession, session: RSession) -> None:
        super().__init__(console)
        self._console = console
        self._session = session
        packages.sig_install_offered.connect(self._on_install_offered)
        packages.sig_restart_suggested.connect(self._on_restart_suggested)

    def _on_install_offered(self, package: str, source: str) -> None:
        self._console.show_offer(f"Package '{package}' is not installed; {source} has it.", f"Install {package}",
                                 lambda: self._console.submit(f"install.packages({r_string(package)})"))

    def _on_restart_suggested(self, names: list[str]) -> None:
        which = ", ".join(f"'{n}'" for n in names)
        self._console.show_offer(f"{which} changed while loaded: restart R to use the library as it is now.",
                                 "Restart R", self._session.restart)
