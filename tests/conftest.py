"""Test-wide set-up: offscreen Qt, Chromium flags, and a private HOME.

QtWebEngine must be configured before the QApplication exists, and nothing a test does may
touch the real user's settings, history or browser data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_HOME = Path(tempfile.mkdtemp(prefix="webr-desktop-tests-"))
os.environ["HOME"] = str(_HOME)
os.environ["XDG_CONFIG_HOME"] = str(_HOME / ".config")
os.environ["XDG_DATA_HOME"] = str(_HOME / ".local" / "share")
os.environ["XDG_CACHE_HOME"] = str(_HOME / ".cache")
os.environ["QT_QPA_PLATFORM"] = "offscreen"

from webr_desktop.runtime.engine import configure_engine  # noqa: E402

configure_engine(headless=True)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _empty_clipboard():
    """Mime data left on the clipboard crashes PySide6 when the QApplication is torn down."""
    yield
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if app is not None:
        app.clipboard().clear()
