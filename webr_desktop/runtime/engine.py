"""QtWebEngine set-up that must happen before the QApplication exists.

The page is hidden and never shows web content, so the GPU is off; Chromium's own background
traffic (component updates, safe browsing pings) is off because the app must work offline.
Root can't use Chromium's sandbox, so it is dropped only when running as root.
"""

from __future__ import annotations

import logging
import os

qt_log = logging.getLogger("webr_desktop.qt")

# Harmless on machines without a GPU/display (the page never draws): keep them out of stderr.
_QT_NOISE = (
    "QRhiGles2",
    "Failed to create RHI",
    "GPUInfo not initialized",
    "Failed to create context",
    "This plugin does not support propagateSizeHints",
)

_FLAGS = (
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--log-level=3",  # Chromium's own stderr logging (dbus, GPU probes) is not R's output
)


def configure_engine(*, headless: bool = False) -> None:
    """Set environment for QtWebEngine; call before importing/creating the Qt application."""
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    wanted = list(_FLAGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        wanted.append("--no-sandbox")
    for flag in wanted:
        if flag not in flags:
            flags.append(flag)
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(flags)
    # Keep Qt's compositor off OpenGL for a page that is never displayed.
    os.environ.setdefault("QT_QUICK_BACKEND", "software")

    from PySide6.QtCore import QCoreApplication, Qt

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    QCoreApplication.setOrganizationName("webr-desktop")
    QCoreApplication.setApplicationName("webr-desktop")
    # Importing the module before the application exists is what QtWebEngine requires.
    import PySide6.QtWebEngineCore  # noqa: F401


def route_qt_messages_to_logging() -> None:
    """Send Qt's warnings to Python logging so `run` keeps stderr for R alone."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(msg_type, context, message: str) -> None:
        level = levels.get(msg_type, logging.WARNING)
        if message.startswith(_QT_NOISE):
            level = logging.DEBUG
        qt_log.log(level, "%s", message)

    qInstallMessageHandler(handler)
