"""Run package work (downloads, unpacking, index loads) off the GUI thread.

The host-side package code (webr_desktop.core.packages) blocks on the network and the disk, so
every call goes to a thread pool of its own; results and progress come back to the GUI thread
as queued signals. A job's callbacks are dropped if the owner was deleted meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Qt, Signal

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[Exception], None]


class JobRunner(QObject):
    """``run(fn, on_done, on_failed)``: ``fn()`` in a worker, the callback on the GUI thread."""

    _sig_result = Signal(object, object)  # (callback, value) of a finished job, from a worker
    _sig_call = Signal(object, object)  # (callback, value) of progress, from a worker
    sig_idle = Signal()  # no job runs or waits any more

    def __init__(self, threads: int = 3, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._pending = 0
        self._closed = False
        self._sig_result.connect(self._on_result, Qt.ConnectionType.QueuedConnection)
        self._sig_call.connect(self._on_call, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def run(self, fn: Callable[[], Any], on_done: Done | None = None, on_failed: Failed | None = None) -> None:
        if self._closed:
            return
        self._pending += 1

        def job() -> None:
            try:
                value = fn()
            except Exception as exc:  # noqa: BLE001 - every failure reaches the GUI as a message
                if not isinstance(exc, OSError) and type(exc).__module__.split(".")[0] != "webr_desktop":
                    log.exception("package job failed")
                self._sig_result.emit(on_failed, exc)
            else:
                self._sig_result.emit(on_done, value)

        self._pool.start(job)

    def call_soon(self, callback: Callable[[Any], None], value: object) -> None:
        """Call ``callback(value)`` on the GUI thread; safe from any thread (progress)."""
        if not self._closed:
            self._sig_call.emit(callback, value)

    def _on_call(self, callback: Callable[[Any], None], value: object) -> None:
        if not self._closed:
            callback(value)

    def _on_result(self, callback: Callable[[Any], None] | None, value: object) -> None:
        self._pending -= 1
        try:
            if callback is not None and not self._closed:
                callback(value)
        finally:
            if self._pending == 0:
                self.sig_idle.emit()

    def close(self, wait_ms: int = 5_000) -> None:
        """Drop queued jobs and wait (bounded) for running ones: at app exit only."""
        self._closed = True
        self._pool.clear()
        self._pool.waitForDone(wait_ms)
