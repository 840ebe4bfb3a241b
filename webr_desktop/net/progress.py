"""DownloadProgress: download.file() progress as a Qt signal for the status bar.

FetchService (server layer, no Qt) calls ``report`` from the server's request threads; a
signal emitted from another thread reaches GUI-thread slots queued, so this is thread-safe.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class DownloadProgress(QObject):
    """``sig_progressed(url, done_bytes, total_bytes or -1)``; ``sig_text_changed`` is ready to show."""

    sig_progressed = Signal(str, int, int)
    sig_text_changed = Signal(str)

    def report(self, url: str, done: int, total: int) -> None:
        self.sig_progressed.emit(url, done, total)
        name = url.rsplit("/", 1)[-1] or url
        mb = done / 1e6
        text = f"Downloading {name}: {mb:.1f} of {total / 1e6:.1f} MB" if total > 0 else f"Downloading {name}: {mb:.1f} MB"
        self.sig_text_changed.emit("" if total > 0 and done >= total else text)
