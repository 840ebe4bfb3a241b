"""SearchResultsModel: the Install dialog's search hits, one row per package.

A table model over the core's Candidate list: replacing the hits is one reset and the view
asks only for the rows on screen, so each keystroke's answer (up to SEARCH_LIMIT hits over
webR's ~20,000 packages) costs the GUI thread next to nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from webr_desktop.core.packages.model import Candidate

Index = QModelIndex | QPersistentModelIndex


class SearchResultsModel(QAbstractTableModel):
    NAME, VERSION, SOURCE, TITLE = range(4)
    HEADERS = ("Package", "Version", "Source", "Title")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Candidate] = []

    def set_candidates(self, found: Sequence[Candidate]) -> None:
        self.beginResetModel()
        self._rows = list(found)
        self.endResetModel()

    def candidate(self, row: int) -> Candidate:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 4:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        c = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (c.name, c.version, c.source, c.title)[index.column()]
        return None
