"""The hidden QtWebEngine page that runs the webR worker.

No QWebEngineView: a view-less page runs webR normally and costs no widget. The page only
ever navigates inside our own loopback origin; console output from its JavaScript goes to
Python logging so page errors are never silent.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QEventLoop, QFile, QIODevice, QObject, QTimer, QUrl, Signal
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineScript

from webr_desktop.runtime.bridge import Bridge
from webr_desktop.runtime.request_guard import RequestGuard

log = logging.getLogger(__name__)
js_log = logging.getLogger("webr_desktop.page.js")

_profile: QWebEngineProfile | None = None
_guard: RequestGuard | None = None


def shared_profile() -> QWebEngineProfile:
    """One off-the-record profile per process: nothing the page does is written to disk, and
    every request passes request_guard()."""
    global _profile
    if _profile is None:
        _profile = QWebEngineProfile(QCoreApplication.instance())
        _profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        _profile.setPersistentCookiesPolicy(QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
        _profile.setUrlRequestInterceptor(request_guard())
    return _profile


def request_guard() -> RequestGuard:
    """The interceptor of the runtime profile (what the page and R's worker may reach)."""
    global _guard
    if _guard is None:
        _guard = RequestGuard(QCoreApplication.instance())
    return _guard


def webchannel_script() -> QWebEngineScript:
    """Qt's qwebchannel.js, injected in the main world before any page script runs."""
    source = QFile(":/qtwebchannel/qwebchannel.js")
    if not source.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("qwebchannel.js is missing from the QtWebChannel module")
    script = QWebEngineScript()
    script.setName("qwebchannel")
    script.setSourceCode(bytes(source.readAll().data()).decode("utf-8"))
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    return script


class _LockedPage(QWebEnginePage):
    """A page that logs its console and refuses to leave our origin."""

    def __init__(self, profile: QWebEngineProfile, origin: QUrl, parent: QObject | None) -> None:
        super().__init__(profile, parent)
        self._origin = origin

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:  # noqa: N802
        levels = QWebEnginePage.JavaScriptConsoleMessageLevel
        py_level = {
            levels.InfoMessageLevel: logging.DEBUG,
            levels.WarningMessageLevel: logging.WARNING,
            levels.ErrorMessageLevel: logging.ERROR,
        }.get(level, logging.INFO)
        js_log.log(py_level, "%s (%s:%d)", message, source.rsplit("/", 1)[-1], line)

    def acceptNavigationRequest(self, url: QUrl, nav_type, is_main_frame: bool) -> bool:  # noqa: N802
        allowed = url.scheme() == self._origin.scheme() and url.authority() == self._origin.authority()
        if not allowed:
            log.warning("blocked navigation of the runtime page to %s", url.toString())
        return allowed


class RuntimePage(QObject):
    """Owns the page, its web channel and the bridge registered on it."""

    sig_load_failed = Signal(str)
    sig_render_terminated = Signal(str)

    def __init__(self, url: str, bridge: Bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._url = QUrl(url)
        self._bridge = bridge
        self._held_signals: list[tuple[object, str]] | None = None  # failures during run_until_requested
        self._wait_loop: QEventLoop | None = None
        request_guard().allow_origin(url)
        self._page = _LockedPage(shared_profile(), self._url, self)
        self._channel = QWebChannel(self)
        self._channel.registerObject("bridge", bridge)
        self._page.setWebChannel(self._channel)
        self._page.scripts().insert(webchannel_script())
        self._page.loadFinished.connect(self._on_page_load_finished)
        self._page.renderProcessTerminated.connect(self._on_page_render_terminated)

    def load(self) -> None:
        self._page.load(self._url)

    def hold(self) -> None:
        """What the page says (bridge payloads, a load failure, a crashed renderer) waits until
        ``release()``: start-up, while the window that listens to the session is built."""
        if self._held_signals is None:
            self._held_signals = []
            self._bridge.hold()

    def release(self) -> None:
        """Deliver what was held, from the event loop, in the page's order."""
        if self._held_signals is None:
            return
        self._bridge.release()
        held, self._held_signals = self._held_signals, None
        for signal, text in held:
            QTimer.singleShot(0, self, lambda signal=signal, text=text: signal.emit(text))

    def run_until_requested(self, suffix: str, timeout_ms: int) -> bool:
        """Run the event loop until this page (or its worker) asks our origin for a path ending
        in ``suffix``, the page says anything or fails, or ``timeout_ms`` pass; True if the
        request came. What the page says or how it fails meanwhile is held (see ``hold()``);
        unless the caller holds it already, it is delivered from the event loop after the
        caller's work.

        Why: Chromium's browser side runs on the Qt GUI thread, so while Python builds the
        window, the page's navigation, worker start and every request (the interceptor runs on
        this thread) wait. Letting the page get that far first overlaps webR's boot with the
        window build instead of queueing it behind it.
        """
        loop = QEventLoop()
        seen = [False]
        origin = self._url.authority()

        def on_allowed(url: QUrl) -> None:
            if url.authority() == origin and url.path().endswith(suffix):
                seen[0] = True
                loop.quit()

        timer = QTimer(singleShot=True, interval=timeout_ms)
        timer.timeout.connect(loop.quit)
        guard = request_guard()
        guard.sig_allowed.connect(on_allowed)
        self._bridge.sig_held.connect(loop.quit)
        held_here = self._held_signals is None
        self.hold()
        self._wait_loop = loop
        try:
            if not self._held_signals and not self._bridge.has_held():  # the page said nothing yet
                timer.start()
                loop.exec()
        finally:
            timer.stop()
            guard.sig_allowed.disconnect(on_allowed)
            self._bridge.sig_held.disconnect(loop.quit)
            self._wait_loop = None
            if held_here:
                self.release()
        return seen[0]

    def render_process_pid(self) -> int:
        return int(self._page.renderProcessPid())

    def close(self) -> None:
        """Stop the page and detach the bridge; deleting this object (the page's parent)
        then ends the worker, and R, with it."""
        self._page.triggerAction(QWebEnginePage.WebAction.Stop)
        self._page.setWebChannel(None)

    def _on_page_load_finished(self, ok: bool) -> None:
        if not ok:
            self._emit(self.sig_load_failed, f"the runtime page did not load from {self._url.toString()}")

    def _on_page_render_terminated(self, status, exit_code: int) -> None:
        name = getattr(status, "name", str(status))
        self._emit(self.sig_render_terminated, f"{name} (exit code {exit_code})")

    def _emit(self, signal: object, text: str) -> None:
        if self._held_signals is None:
            signal.emit(text)  # type: ignore[attr-defined]
        else:
            self._held_signals.append((signal, text))
            if self._wait_loop is not None:
                self._wait_loop.quit()
