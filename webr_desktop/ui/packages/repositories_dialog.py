"""RepositoriesDialog (Packages ▸ Repositories…): which sources packages come from, in order.

A source is a repository URL (webR's, R-universe, any CRAN-like root of webR binaries) or a
folder on this machine (rwasm's layout, ``src/contrib``, or a flat folder of archives). The
first source that has the newest version wins a tie; a source can be switched off without
forgetting it. The package cache always comes last and needs no entry.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from webr_desktop.core.packages.sources import SourceConfig

KIND_ROLE = Qt.ItemDataRole.UserRole + 1


class RepositoriesDialog(QDialog):
    """Edit a list of SourceConfig; ``configs()`` is the result after Ok."""

    def __init__(self, configs: list[SourceConfig], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Package Repositories")
        self.resize(560, 340)
        self.list = QListWidget(self)
        for config in configs:
            self._add(config)
        buttons = {name: QPushButton(name, self) for name in
                   ("Add URL…", "Add Folder…", "Remove", "Move Up", "Move Down")}
        buttons["Add URL…"].clicked.connect(self._add_url)
        buttons["Add Folder…"].clicked.connect(self._add_folder)
        buttons["Remove"].clicked.connect(self._remove)
        buttons["Move Up"].clicked.connect(lambda: self._move(-1))
        buttons["Move Down"].clicked.connect(lambda: self._move(1))
        side = QVBoxLayout()
        for button in buttons.values():
            side.addWidget(button)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.list, 1)
        middle.addLayout(side)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Packages come from these sources, first to last (untick to switch one off). "
                                "Downloaded packages stay in the cache and install offline.", self,
                                wordWrap=True))
        layout.addLayout(middle, 1)
        layout.addWidget(box)

    def _add(self, config: SourceConfig) -> None:
        label = config.location if config.kind == "repo" else f"Folder: {config.location}"
        item = QListWidgetItem(label, self.list)
        item.setData(KIND_ROLE, (config.kind, config.location))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if config.enabled else Qt.CheckState.Unchecked)

    def configs(self) -> list[SourceConfig]:
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            kind, location = item.data(KIND_ROLE)
            out.append(SourceConfig(kind, location, item.checkState() == Qt.CheckState.Checked))
        return out

    def add_url(self, url: str) -> bool:
        """Add a repository URL; False (after telling the user) if it isn't an http(s) URL."""
        try:
            config = SourceConfig("repo", url.strip().rstrip("/"))
        except ValueError as exc:
            QMessageBox.warning(self, "Package Repositories", str(exc))
            return False
        self._add(config)
        return True

    def add_folder(self, folder: str) -> None:
        self._add(SourceConfig("local", folder))

    def _add_url(self) -> None:
        url, ok = QInputDialog.getText(self, "Add Repository", "Repository URL (e.g. https://repo.r-wasm.org):")
        if ok and url.strip():
            self.add_url(url)

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a Folder of Packages")
        if folder:
            self.add_folder(folder)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
