"""Open a URL or folder in another program (browser, file manager).

QDesktopServices starts ``xdg-open`` with this process's environment; in a PyInstaller
bundle that environment points ``LD_LIBRARY_PATH`` at the bundle's Qt, which would crash the
other program, so the user's own library path is put back while it starts (core.frozen).
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from webr_desktop.core import frozen


def open_outside(url: QUrl) -> bool:
    """QDesktopServices.openUrl with the user's library path; False if nothing opened it."""
    with frozen.outside_program_environment():
        return QDesktopServices.openUrl(url)
