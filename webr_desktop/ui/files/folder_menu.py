"""File ▸ Open Folder… and File ▸ Open Recent: how the user picks the project folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from webr_desktop.core.recent_folders import RecentFolders


class FolderMenu(QObject):
    """The two folder entries of the File menu; emits the folder the user chose."""

    sig_folder_chosen = Signal(object)  # Path

    def __init__(self, recent: RecentFolders, parent: QWidget) -> None:
        super().__init__(parent)
        self._recent = recent
        self._parent = parent
        self.open_action = QAction("Open &Folder…", parent)
        self.open_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_action.triggered.connect(self.choose_folder)
        self.recent_menu = QMenu("Open &Recent", parent)
        self.rebuild()

    def choose_folder(self) -> None:
        """Ask for a folder (starting at the most recent one) and emit it."""
        items = self._recent.items()
        start = str(items[0]) if items else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self._parent, "Open Folder", start)
        if folder:
            self.sig_folder_chosen.emit(Path(folder))

    def rebuild(self) -> None:
        """Refill Open Recent from the list on disk (another window may have changed it)."""
        self.recent_menu.clear()
        items = self._recent.items()
        for folder in items:
            action = self.recent_menu.addAction(str(folder))
            action.triggered.connect(lambda _checked=False, f=folder: self.sig_folder_chosen.emit(f))
        if items:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear List", self._clear)
        self.recent_menu.setEnabled(bool(items))

    def _clear(self) -> None:
        self._recent.clear()
        self.rebuild()
