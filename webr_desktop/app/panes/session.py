"""The window's R session controls: Session ▸ Interrupt/Restart, busy state and versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webr_desktop import __version__

if TYPE_CHECKING:
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.main_window import MainWindow


def add_session_status(window: MainWindow, session: RSession) -> None:
    """The status bar says which R runs (or why it doesn't) and whether it is busy."""
    window.sig_interrupt_requested.connect(session.interrupt)
    window.sig_restart_requested.connect(session.restart)
    session.sig_busy_changed.connect(window.set_busy)
    session.sig_started.connect(
        lambda ready: window.set_versions(
            f"R {ready.r_version} · webR {ready.webr_version} · webR Desktop {__version__}"
        )
    )
    session.sig_crashed.connect(lambda reason: window.set_versions(f"R crashed: {reason}"))
    session.sig_start_failed.connect(window.set_versions)
