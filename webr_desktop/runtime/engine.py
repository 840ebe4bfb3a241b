"""QtWebEngine set-up that must happen before the QApplication exists.

The page is hidden and never shows web content, so the GPU is off; Chromium's own background
traffic (component updates, safe browsing pings) is off because the app must work offline.
Chromium's sandbox stays on whenever it can start: it is dropped only for root (Chromium
refuses to run sandboxed as root) or when unprivileged user namespaces are blocked (Debian's
sysctl, Ubuntu ≥ 23.10's AppArmor rule), and the log says which.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

qt_log = logging.getLogger("webr_desktop.qt")
log = logging.getLogger(__name__)
_CLONE_NEWUSER = 0x10000000

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


def _user_namespaces_work() -> bool:
    """Whether this user can make a user namespace and map itself in it, as Chromium's
    sandbox does; tried in a forked child so this process stays as it is."""
    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork: the child only calls
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            if libc.unshare(_CLONE_NEWUSER) == 0:
                with open("/proc/self/setgroups", "w") as f:
                    f.write("deny")
                with open("/proc/self/uid_map", "w") as f:
                    f.write(f"{uid} {uid} 1")
                with open("/proc/self/gid_map", "w") as f:
                    f.write(f"{gid} {gid} 1")
                status = 0
        except OSError:
            pass
        os._exit(status)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def sandbox_decision() -> tuple[bool, str]:
    """(sandbox on?, why) for this process; Linux only needs the checks."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return False, "running as root, which Chromium's sandbox refuses"
    if sys.platform.startswith("linux") and not _user_namespaces_work():
        return False, "user namespaces are blocked on this system (sysctl or AppArmor)"
    return True, "user namespaces work"


def configure_engine(*, headless: bool = False) -> None:
    """Set environment for QtWebEngine; call before importing/creating the Qt application."""
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    wanted = list(_FLAGS)
    if "--no-sandbox" in flags:
        log.info("Chromium sandbox off: --no-sandbox is in QTWEBENGINE_CHROMIUM_FLAGS")
    else:
        sandbox, why = sandbox_decision()
        log.info("Chromium sandbox %s: %s", "on" if sandbox else "off (--no-sandbox)", why)
        if not sandbox:
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
