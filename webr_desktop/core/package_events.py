"""PackageEvents: lets the package route tell the Packages pane what R installed.

The route (server.packages.PackagesRoute) is built with its ``progress`` and ``changed``
callbacks before the window and its pane exist; it is given ``events.progress`` and
``events.changed``, and the pane's service subscribes later. Callbacks run in the thread that
reports (the server's); a subscriber hands them to its own thread. No Qt here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PackageEvents:
    """A thread-safe fan-out of install progress and changed package names."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._progress: list[Callable[[object], None]] = []
        self._changed: list[Callable[[list[str]], None]] = []

    def subscribe(self, progress: Callable[[object], None] | None = None,
                  changed: Callable[[list[str]], None] | None = None) -> None:
        with self._lock:
            if progress is not None:
                self._progress.append(progress)
            if changed is not None:
                self._changed.append(changed)

    def unsubscribe(self, progress: Callable[[object], None] | None = None,
                    changed: Callable[[list[str]], None] | None = None) -> None:
        with self._lock:
            if progress in self._progress:
                self._progress.remove(progress)
            if changed in self._changed:
                self._changed.remove(changed)

    def progress(self, event: object) -> None:
        """One install step (core.packages.service.Progress)."""
        with self._lock:
            listeners = list(self._progress)
        for listener in listeners:
            self._call(listener, event)

    def changed(self, names: list[str]) -> None:
        """Packages installed or removed."""
        with self._lock:
            listeners = list(self._changed)
        for listener in listeners:
            self._call(listener, list(names))

    @staticmethod
    def _call(listener: Callable[[object], None], value: object) -> None:
        try:
            listener(value)
        except Exception:  # a broken listener must not break an install
            log.exception("package event listener failed")
