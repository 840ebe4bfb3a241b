"""The QWebChannel object the page talks to. It only carries messages: decode, validate, emit.

Request ids, queues and restart logic live in RSession, never here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from webr_desktop.core.messages import Batch, Failed, ProtocolError, Ready, Reply, parse_payload

log = logging.getLogger(__name__)


class Bridge(QObject):
    """Registered on the page's web channel as ``bridge``."""

    # Python -> page (the page connects to this signal); payload is a JSON command.
    sig_command = Signal(str)
    # Page -> Python, decoded.
    sig_ready = Signal(object)  # Ready
    sig_batch_received = Signal(object)  # list[Message]
    sig_reply_received = Signal(object)  # Reply
    sig_start_failed = Signal(str)
    sig_protocol_error = Signal(str)
    sig_held = Signal()  # a payload was queued by hold()

    _held: list[str] | None = None

    def hold(self) -> None:
        """Queue what the page delivers until ``release()`` (start-up: nothing may reach the
        session before the window that listens to it exists)."""
        self._held = []

    def has_held(self) -> bool:
        """Whether ``hold()`` queued anything yet."""
        return bool(self._held)

    def release(self) -> None:
        """Deliver what was queued, from the event loop, after the caller's work; what arrives
        until then is queued behind it, so the order stays the page's."""
        if self._held is not None:
            QTimer.singleShot(0, self, self._flush)

    def _flush(self) -> None:
        held, self._held = self._held or [], None
        for text in held:
            self.deliver(text)

    def send(self, op: str, **fields: Any) -> None:
        """Send one command to the page."""
        self.sig_command.emit(json.dumps({"op": op, **fields}))

    @Slot(str)
    def deliver(self, text: str) -> None:
        """Called from JavaScript with one JSON payload."""
        if self._held is not None:
            self._held.append(text)
            self.sig_held.emit()
            return
        try:
            payload = parse_payload(text)
        except ProtocolError as exc:
            log.error("malformed payload from the webR page: %s", exc)
            self.sig_protocol_error.emit(str(exc))
            return
        if isinstance(payload, Batch):
            for error in payload.errors:
                log.error("malformed output message from webR: %s", error)
                self.sig_protocol_error.emit(error)
            if payload.messages:
                self.sig_batch_received.emit(payload.messages)
        elif isinstance(payload, Reply):
            self.sig_reply_received.emit(payload)
        elif isinstance(payload, Ready):
            self.sig_ready.emit(payload)
        elif isinstance(payload, Failed):
            self.sig_start_failed.emit(payload.error)
