"""RequestGuard: what the runtime page and its webR worker may reach by themselves.

R code can run any JavaScript in the worker (``webr::eval_js``): an XMLHttpRequest, fetch()
or WebSocket made there goes out through Chromium, past the app's fetch service and proxy,
so neither the Network switch nor the destination policy would apply. Every request of the
runtime page's profile passes this interceptor: our own loopback origins (the page's server,
the proxy's WebSocket port) always; anything else only while networking is on with the
allow-all policy (which lets R reach everything through the proxy anyway). Under a restricted
policy R's URL reads go through the fetch service, which applies it.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtWebEngineCore import QWebEngineUrlRequestInfo, QWebEngineUrlRequestInterceptor

log = logging.getLogger(__name__)

LOCAL_SCHEMES = frozenset({"data", "blob"})  # no network: content the page already has
WEB_SCHEMES = frozenset({"http", "https", "ws", "wss"})


def _key(url: QUrl) -> tuple[str, str, int]:
    return url.scheme().lower(), url.host().lower(), url.port()


class RequestGuard(QWebEngineUrlRequestInterceptor):
    """Blocks the profile's requests that leave our origins unless the web is open."""

    sig_allowed = Signal(QUrl)  # a request that went through (start-up watches webR's boot)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._origins: set[tuple[str, str, int]] = set()
        self._proxy: tuple[str, str, int] | None = None
        self._open_web = False

    def allow_origin(self, url: str) -> None:
        """Let the page reach this origin (scheme, host, port of ``url``) for good."""
        with self._lock:
            self._origins.add(_key(QUrl(url)))

    def set_network(self, proxy_port: int, open_web: bool) -> None:
        """The proxy's WebSocket port (0: none) and whether the page may reach the web."""
        with self._lock:
            self._proxy = ("ws", "127.0.0.1", proxy_port) if proxy_port else None
            self._open_web = open_web

    def allows(self, url: QUrl) -> bool:
        key = _key(url)
        if key[0] in LOCAL_SCHEMES:
            return True
        with self._lock:
            if key in self._origins or key == self._proxy:
                return True
            return self._open_web and key[0] in WEB_SCHEMES

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 - Qt name
        url = info.requestUrl()
        if not self.allows(url):
            info.block(True)
            log.info("blocked a request of the runtime page to %s://%s:%d (networking is off or restricted)",
                     url.scheme(), url.host(), url.port())
            return
        self.sig_allowed.emit(url)
