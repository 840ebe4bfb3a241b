"""UpdateDialog: installed packages that a source has a newer version of.

It lists installed against available versions with a checkbox each (all ticked); Update…
hands the ticked names on (``sig_update_requested``) and the app shows their plan in the
Install dialog, so an update, like an install, downloads nothing before the user saw it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from webr_desktop.models.packages_service import PackagesService


class UpdateDialog(QDialog):
    sig_update_requested = Signal(list)  # names to update

    def __init__(self, service: PackagesService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Update Packages")
        self.resize(600, 380)
        self.label = QLabel("Checking the package sources for newer versions…", self)
        self.table = QTreeWidget(self)
        self.table.setHeaderLabels(["Package", "Installed", "Available", "Source"])
        self.table.setRootIsDecorated(False)
        self.table.header().setStretchLastSection(True)
        self.buttons = QDialogButtonBox(self)
        self.update_button = self.buttons.addButton("Update…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.update_button.setEnabled(False)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.reject)
        self.update_button.clicked.connect(self._on_update)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        service.sig_updates_found.connect(self._on_updates)
        service.sig_problem.connect(self._on_problem)
        service.check_updates()

    def ticked(self) -> list[str]:
        return [self.table.topLevelItem(i).text(0) for i in range(self.table.topLevelItemCount())
                if self.table.topLevelItem(i).checkState(0) == Qt.CheckState.Checked]

    def _on_updates(self, found: list) -> None:
        self.table.clear()
        for entry in found:
            item = QTreeWidgetItem([str(entry["package"]), str(entry["installed"]), str(entry["available"]),
                                    str(entry["source"])])
            item.setCheckState(0, Qt.CheckState.Checked)
            self.table.addTopLevelItem(item)
        for column in range(3):
            self.table.resizeColumnToContents(column)
        self.label.setText(f"{len(found)} package{'s have' if len(found) != 1 else ' has'} a newer version."
                           if found else "All packages in the user library are up to date.")
        self.update_button.setEnabled(bool(found))

    def _on_problem(self, text: str) -> None:
        if text.startswith("Updates could not be checked"):
            self.label.setText(text)

    def _on_update(self) -> None:
        names = self.ticked()
        if names:
            self.sig_update_requested.emit(names)
            self.accept()
