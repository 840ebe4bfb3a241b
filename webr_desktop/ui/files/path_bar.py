"""The Files pane's path bar: up, the folder shown (its tail kept when long), back to the project."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget


class ElidedLabel(QLabel):
    """A one-line label that elides its text at the left, so a long path keeps its tail."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideLeft, max(self.width(), 20)))


class PathBar(QWidget):
    """``[↑] ~/projects/demo/data          [⌂]`` — the project button shows only away from it."""

    def __init__(self, up: QAction, project: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = ElidedLabel(self)
        self.label.setStyleSheet("color: palette(text); padding: 0 2px;")
        self.up_button = _tool_button(up, self)
        self.project_button = _tool_button(project, self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.up_button)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.project_button)

    def set_folder(self, folder: Path | None) -> None:
        self.label.set_full_text(shown_path(folder))


def _tool_button(act: QAction, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setDefaultAction(act)
    button.setAutoRaise(True)
    return button


def shown_path(folder: Path | None) -> str:
    """``~/…`` for folders under the home folder, like a shell prompt."""
    if folder is None:
        return ""
    home = Path.home()
    if folder == home:
        return "~"
    try:
        return "~/" + folder.relative_to(home).as_posix()
    except ValueError:
        return str(folder)
