"""FileTreeModel: the project folder as the Files pane shows it, kept live from the disk.

A QFileSystemModel does the reading (lazily, on a thread) and the watching (a
QFileSystemWatcher per loaded folder); this proxy only orders and filters it: folders first,
then names in natural order ("file2" before "file10", case ignored, the same on every
platform — QFileSystemModel alone sorts folders first everywhere but macOS), and hidden
files out unless asked for. Like RStudio, a few dotfiles R users edit stay visible.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import (
    QDir, QFileInfo, QLocale, QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QFileSystemModel, QStyle  # PySide6 keeps the model in QtWidgets

# Dotfiles shown even while hidden files are hidden: the ones an R project edits by hand.
ALWAYS_SHOWN = frozenset({
    ".Rprofile", ".Renviron", ".Rbuildignore", ".gitignore", ".gitattributes", ".github",
    ".lintr", ".here", ".gitlab-ci.yml", ".pre-commit-config.yaml", ".editorconfig",
})

Index = QModelIndex | QPersistentModelIndex


class FileTreeModel(QSortFilterProxyModel):
    """Folders first, natural name order, hidden files filtered, rooted at ``set_root``."""

    sig_directory_loaded = Signal(str)  # a folder's listing arrived (survives ``reload``)

    NAME, SIZE, TYPE, MODIFIED = range(4)  # QFileSystemModel's columns

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root: Path | None = None
        self._show_hidden = False
        self._icons: dict[bool, QIcon] = {}
        self.setDynamicSortFilter(True)
        self.fs = self._new_source()
        self.setSourceModel(self.fs)
        self.sort(self.NAME, Qt.SortOrder.AscendingOrder)

    # ------------------------------------------------------------------ root and options
    @property
    def root(self) -> Path | None:
        return self._root

    def set_root(self, root: Path | None) -> QModelIndex:
        """Show ``root`` (watched from now on); returns its index for ``QTreeView.setRootIndex``."""
        def apply() -> None:
            self._root = Path(root).resolve() if root is not None else None
            self.fs.setRootPath(str(self._root) if self._root else "")

        self._change_filter(apply)
        return self.root_index()

    def root_index(self) -> QModelIndex:
        if self._root is None:
            return QModelIndex()
        return self.mapFromSource(self.fs.index(str(self._root)))

    @property
    def show_hidden(self) -> bool:
        return self._show_hidden

    def set_show_hidden(self, show: bool) -> None:
        if show != self._show_hidden:
            self._change_filter(lambda: setattr(self, "_show_hidden", show))

    def reload(self) -> None:
        """Read everything again from the disk (a fresh QFileSystemModel: it has no re-scan)."""
        old = self.fs
        self.fs = self._new_source()
        self.fs.setRootPath(str(self._root) if self._root else "")
        self.setSourceModel(self.fs)
        old.deleteLater()

    # ------------------------------------------------------------------ paths
    def file_path(self, index: Index) -> Path:
        return Path(self.fs.filePath(self.mapToSource(index)))

    def is_dir(self, index: Index) -> bool:
        return self.fs.isDir(self.mapToSource(index))

    def index_for(self, path: Path) -> QModelIndex:
        """The proxy index of ``path`` (invalid if it is not, or not yet, in the tree)."""
        source = self.fs.index(str(path))
        return self.mapFromSource(source) if source.isValid() else QModelIndex()

    # ------------------------------------------------------------------ proxy rules
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and index.column() in (self.SIZE, self.MODIFIED):
            fresh = self._fresh_detail(index)
            if fresh is not None:
                return fresh
        value = super().data(index, role)
        if role == Qt.ItemDataRole.DecorationRole and index.column() == self.NAME and (
                value is None or (isinstance(value, QIcon) and value.isNull())):
            # Without an icon theme (minimal Linux desktops) QFileIconProvider gives none.
            return self._fallback_icon(self.is_dir(index))
        return value

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802
        if self._root is None:
            return False
        source = self.fs.index(row, 0, parent)
        if not self._inside_root(self.fs.filePath(parent)):
            # Above the root keep only the path down to it: the root's ancestors must stay or
            # the root disappears, and their siblings (all of "/") are nobody's business.
            return self._on_root_chain(self.fs.filePath(source))
        if self._show_hidden:
            return True
        name = self.fs.fileName(source)
        if name in ALWAYS_SHOWN:
            return True
        return not (name.startswith(".") or self.fs.fileInfo(source).isHidden())

    def lessThan(self, left: Index, right: Index) -> bool:  # noqa: N802
        left_dir, right_dir = self.fs.isDir(left), self.fs.isDir(right)
        if left_dir != right_dir:
            return left_dir  # ascending order puts folders first
        a, b = self.fs.fileName(left), self.fs.fileName(right)
        return (natural_key(a), a) < (natural_key(b), b)  # "a.R" vs "A.R": still a stable order

    # ------------------------------------------------------------------ internals
    def _fresh_detail(self, index: Index) -> str | None:
        """A file's size or date from a stat made now (shown rows only: a few µs each).

        QFileSystemModel re-reads a file only when its folder changes, so a file R rewrote in
        place (``write.csv`` over an old one) kept its old size. Formatted as Qt's model does.
        """
        info = QFileInfo(str(self.file_path(index)))
        if not info.isFile():
            return None
        locale = QLocale.system()
        if index.column() == self.SIZE:
            return locale.formattedDataSize(info.size())
        return locale.toString(info.lastModified(), QLocale.FormatType.ShortFormat)

    def _on_root_chain(self, path: str) -> bool:
        root = self._root.as_posix() if self._root else ""
        return root == path or root.startswith(path.rstrip("/") + "/")

    def _change_filter(self, apply: Callable[[], None]) -> None:
        """Change what the filter accepts (Qt ≥ 6.10 wants begin/end around it)."""
        if hasattr(self, "endFilterChange"):
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            apply()
            self.invalidateRowsFilter()

    def _inside_root(self, folder: str) -> bool:
        root = self._root.as_posix() if self._root else ""  # Qt paths use "/" everywhere
        return folder == root or folder.startswith(root.rstrip("/") + "/")

    def _fallback_icon(self, is_dir: bool) -> QIcon:
        if not self._icons:
            style = QApplication.style()
            self._icons = {True: style.standardIcon(QStyle.StandardPixmap.SP_DirIcon),
                           False: style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)}
        return self._icons[is_dir]

    def _new_source(self) -> QFileSystemModel:
        fs = QFileSystemModel(self)
        fs.setFilter(QDir.Filter.AllEntries | QDir.Filter.NoDotAndDotDot | QDir.Filter.Hidden | QDir.Filter.System)
        fs.setReadOnly(True)  # renames go through the pane's checks, not in-place edits
        fs.setOption(QFileSystemModel.Option.DontUseCustomDirectoryIcons, True)
        fs.directoryLoaded.connect(self.sig_directory_loaded)
        return fs


@lru_cache(maxsize=8192)
def natural_key(name: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key: case ignored, digit runs compared as numbers ("file2" < "file10").

    Done in Python because QCollator's numeric mode needs ICU, which not every Qt build has.
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
                 for part in re.split(r"(\d+)", name) if part)
