"""The GUI-thread half of rstudioapi support: calls from R's loopback route, answered here.

The server thread hands each :class:`ApiCall` to :meth:`RStudioApiBridge.post`, which emits a
queued signal, so the handler runs in the GUI thread (where the editor and dialogs live) while
the server thread waits. A handler answers at once or later (a dialog answers when the user
closes it); an :class:`ApiError` becomes R's error, anything else a short message and a log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from webr_desktop.server.rstudio_api import ApiCall, ApiError, RStudioApiRoute

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], ApiCall], None]  # answers the call, now or later


class RStudioApiBridge(QObject):
    """Runs rstudioapi calls in the GUI thread; ``route`` is closed when this object goes."""

    _sig_call_posted = Signal(object)  # ApiCall, from the server thread

    def __init__(self, route: RStudioApiRoute, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._route = route
        self._handlers: dict[str, Handler] = {}
        self._sig_call_posted.connect(self._on_call_posted, Qt.ConnectionType.QueuedConnection)
        route.post = self._sig_call_posted.emit
        self.destroyed.connect(lambda *_: route.close())

    def register(self, name: str, handler: Handler) -> None:
        """``handler(args, call)`` answers with ``call.reply``/``call.fail`` (maybe later)."""
        self._handlers[name] = handler

    def register_sync(self, name: str, fn: Callable[[dict[str, Any]], object]) -> None:
        """``fn(args)`` returns the value for R (or raises ApiError)."""
        self._handlers[name] = lambda args, call: call.reply(fn(args))

    def close(self) -> None:
        self._route.close()

    def _on_call_posted(self, call: ApiCall) -> None:
        handler = self._handlers.get(call.name)
        if handler is None:
            call.fail(f"function '{call.name}' is not available in webR Desktop")
            return
        try:
            handler(call.args, call)
        except ApiError as exc:
            call.fail(str(exc))
        except Exception:
            log.exception("rstudioapi %s failed", call.name)
            call.fail(f"webR Desktop failed to run {call.name}() (see the log)")
