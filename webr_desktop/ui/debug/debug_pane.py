"""DebugPane: the call stack while R browses; selecting a frame asks to show that frame.

It gets only the Debugger model: it lists the frames the model reports (innermost first, as
RStudio's Traceback does) and tells the model which one the user picked; the model shows its
variables and line through the panes the app linked to it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from webr_desktop.models.debugger import Debugger, Frame

FRAME_ROLE = Qt.ItemDataRole.UserRole + 1  # the frame's 1-based index (1 = outermost)


class DebugPane(QWidget):
    """The browsed call stack, innermost frame on top."""

    def __init__(self, debugger: Debugger, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._debugger = debugger
        self.status = QLabel("Not debugging. R stops here at browser(), debug(), a breakpoint or an error "
                             "(Session ▸ Break on Error).", self)
        self.status.setWordWrap(True)
        self.stack = QTreeWidget(self)
        self.stack.setHeaderLabels(["Function", "Location"])
        self.stack.setRootIsDecorated(False)
        self.stack.setUniformRowHeights(True)
        self.stack.setColumnWidth(0, 180)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.status)
        layout.addWidget(self.stack, 1)
        self.stack.currentItemChanged.connect(self._on_stack_current_changed)
        debugger.sig_stack_changed.connect(self._on_debugger_stack_changed)
        debugger.sig_left.connect(self._on_debugger_left)
        self._filling = False

    def frame_rows(self) -> list[str]:
        """The rows' function texts, top to bottom (tests)."""
        return [self.stack.topLevelItem(i).text(0) for i in range(self.stack.topLevelItemCount())]

    def select_row(self, row: int) -> None:
        """Select the row-th frame from the top (as a click does)."""
        self.stack.setCurrentItem(self.stack.topLevelItem(row))

    def _on_debugger_stack_changed(self, frames: list[Frame], selected: int) -> None:
        self._filling = True
        self.stack.clear()
        for index in range(len(frames), 0, -1):
            frame = frames[index - 1]
            item = QTreeWidgetItem([frame.call or frame.name, _location(frame)])
            item.setData(0, FRAME_ROLE, index)
            item.setToolTip(0, frame.call)
            item.setToolTip(1, frame.file or "")
            self.stack.addTopLevelItem(item)
            if index == selected:
                self.stack.setCurrentItem(item)
        self._filling = False
        level = self._debugger.level
        self.status.setText(f"Browse[{level}]: {len(frames)} frame{'s' if len(frames) != 1 else ''}"
                            if frames else f"Browse[{level}]: top-level code")

    def _on_debugger_left(self) -> None:
        self.stack.clear()
        self.status.setText("Not debugging.")

    def _on_stack_current_changed(self, item: QTreeWidgetItem | None, _old: object) -> None:
        if item is not None and not self._filling:
            self._debugger.select_frame(int(item.data(0, FRAME_ROLE)))


def _location(frame: Frame) -> str:
    if frame.line is None:
        return ""
    if frame.file:
        return f"{Path(frame.file).name}:{frame.line}"
    line = frame.text_line
    return f"line {line}" if line is not None else ""
