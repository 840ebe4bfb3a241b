"""The plot history the Plots pane shows: one entry per plot page, newest last.

Each entry keeps its latest finished image (PNG bytes from the page) and, when R still holds
its recorded display list, the R entry id used to re-render or export it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

_uids = itertools.count(1)


@dataclass
class PlotEntry:
    """One plot page. ``r_id`` is None when R never recorded it (a device the user opened)."""

    png: bytes
    width: int  # image pixels (the canvas device draws at 2x its CSS size)
    height: int
    r_id: int | None
    recorded: bool
    uid: int = 0

    def __post_init__(self) -> None:
        if not self.uid:
            self.uid = next(_uids)


class PlotHistory(QObject):
    """Entries plus the one being shown; widgets listen, PlotService feeds it."""

    sig_changed = Signal()  # entries added/removed or another entry became current
    sig_added = Signal()  # R drew a new plot (the pane comes forward, like RStudio's)
    sig_image_changed = Signal(int)  # uid of an entry whose image was replaced

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[PlotEntry] = []
        self._index = -1

    @property
    def entries(self) -> list[PlotEntry]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def index(self) -> int:
        """Position of the current entry, -1 when empty."""
        return self._index

    @property
    def current(self) -> PlotEntry | None:
        return self._entries[self._index] if self._entries else None

    def find(self, uid: int) -> PlotEntry | None:
        return next((e for e in self._entries if e.uid == uid), None)

    def find_r_id(self, r_id: int) -> PlotEntry | None:
        return next((e for e in reversed(self._entries) if e.r_id == r_id), None)

    def add(self, entry: PlotEntry) -> None:
        """A new plot: it becomes the current one, as in every R IDE."""
        self._entries.append(entry)
        self._index = len(self._entries) - 1
        self.sig_changed.emit()
        self.sig_added.emit()

    def update_image(self, uid: int, png: bytes, width: int, height: int) -> None:
        entry = self.find(uid)
        if entry is None:
            return
        entry.png, entry.width, entry.height = png, width, height
        self.sig_image_changed.emit(uid)

    def go(self, index: int) -> None:
        if 0 <= index < len(self._entries) and index != self._index:
            self._index = index
            self.sig_changed.emit()

    def previous(self) -> None:
        self.go(self._index - 1)

    def next(self) -> None:
        self.go(self._index + 1)

    def remove(self, index: int) -> PlotEntry | None:
        if not 0 <= index < len(self._entries):
            return None
        entry = self._entries.pop(index)
        if self._index >= len(self._entries) or index < self._index:
            self._index -= 1
        if self._entries and self._index < 0:
            self._index = 0
        self.sig_changed.emit()
        return entry

    def clear(self) -> list[PlotEntry]:
        removed, self._entries, self._index = self._entries, [], -1
        self.sig_changed.emit()
        return removed

    def forget_recordings(self) -> None:
        """R restarted: images stay, but nothing can be re-rendered or exported from R."""
        for entry in self._entries:
            entry.recorded = False
        self.sig_changed.emit()
