"""Autosaver: mirrors the editor's unsaved buffers into the RecoveryStore a few seconds after typing.

It stays idle while nothing changes (no periodic wake-ups): ``mark_dirty`` arms a single-shot
timer, and the save when it fires asks the provider for the buffers. The store itself only
rewrites buffers whose text changed, so a save costs about a millisecond per changed buffer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from webr_desktop.core.recovery import Buffer, RecoveryStore

log = logging.getLogger(__name__)


class Autosaver(QObject):
    """Saves ``provider()`` to ``store`` at most every ``interval_ms`` after ``mark_dirty``."""

    sig_saved = Signal(int)  # how many buffer files were (re)written
    sig_save_failed = Signal(str)  # why (disk full, permissions…); the next change retries

    def __init__(self, provider: Callable[[], list[Buffer]], store: RecoveryStore,
                 interval_ms: int = 3000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._provider = provider
        self._store = store
        self._dirty = False
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)

    @property
    def dirty(self) -> bool:
        """True while a change has not reached the disk yet."""
        return self._dirty

    @property
    def store(self) -> RecoveryStore:
        return self._store

    @Slot()
    def mark_dirty(self) -> None:
        """Some buffer changed: save within ``interval_ms`` (connect to the editor's change signal)."""
        if self._stopped:
            return
        self._dirty = True
        if not self._timer.isActive():  # don't restart: steady typing must still save
            self._timer.start()

    @Slot()
    def flush(self) -> bool:
        """Save now if anything changed; returns False only if the save failed."""
        self._timer.stop()
        if not self._dirty or self._stopped:
            return True
        try:
            written = self._store.save(self._provider())
        except (OSError, RuntimeError) as exc:
            log.warning("autosave failed: %s", exc)
            self.sig_save_failed.emit(str(exc))
            return False
        self._dirty = False
        self.sig_saved.emit(written)
        return True

    def stop(self) -> None:
        """No more saves (clean exit, before ``store.close()``)."""
        self._stopped = True
        self._timer.stop()
