"""FindBar: find and replace in the current editor (Ctrl+F / Ctrl+H), like a browser's bar.

Enter finds the next match, Shift+Enter the previous one, wrapping around; Esc closes the bar
and gives the focus back to the editor.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QToolButton, QWidget,
)


class _Field(QLineEdit):
    """A line edit that reports Enter / Shift+Enter / Esc."""

    sig_enter_pressed = Signal(bool)  # True with Shift (search backwards)
    sig_escape_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.sig_enter_pressed.emit(bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        elif event.key() == Qt.Key.Key_Escape:
            self.sig_escape_pressed.emit()
        else:
            super().keyPressEvent(event)


class FindBar(QWidget):
    """Find/replace for one QPlainTextEdit at a time (``set_editor``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._editor: QPlainTextEdit | None = None
        self.find_field = _Field(self)
        self.find_field.setPlaceholderText("Find")
        self.replace_field = _Field(self)
        self.replace_field.setPlaceholderText("Replace")
        self.case_box = QCheckBox("Match case", self)
        self.status = QLabel("", self)
        prev_btn, next_btn = QPushButton("Prev", self), QPushButton("Next", self)
        self.replace_btn, self.all_btn = QPushButton("Replace", self), QPushButton("All", self)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for w in (self.find_field, prev_btn, next_btn, self.replace_field, self.replace_btn, self.all_btn,
                  self.case_box, self.status):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(close)
        self.find_field.sig_enter_pressed.connect(lambda back: self.find(backward=back))
        self.replace_field.sig_enter_pressed.connect(lambda _back: self.replace())
        self.find_field.sig_escape_pressed.connect(self.close_bar)
        self.replace_field.sig_escape_pressed.connect(self.close_bar)
        self.find_field.textEdited.connect(lambda _t: self.find(from_selection_start=True))
        prev_btn.clicked.connect(lambda: self.find(backward=True))
        next_btn.clicked.connect(lambda: self.find())
        self.replace_btn.clicked.connect(self.replace)
        self.all_btn.clicked.connect(self.replace_all)
        close.clicked.connect(self.close_bar)
        self.hide()

    def set_editor(self, editor: QPlainTextEdit | None) -> None:
        self._editor = editor

    def open_bar(self, replace: bool = False) -> None:
        """Show the bar (with the replace field if asked), seeded with the editor's selection."""
        for w in (self.replace_field, self.replace_btn, self.all_btn):
            w.setVisible(replace)
        if self._editor is not None:
            selected = self._editor.textCursor().selectedText()
            if selected and "\u2029" not in selected:
                self.find_field.setText(selected)
        self.show()
        self.find_field.setFocus()
        self.find_field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        if self._editor is not None:
            self._editor.setFocus()

    def _flags(self, backward: bool) -> QTextDocument.FindFlag:
        flags = QTextDocument.FindFlag(0)
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        if self.case_box.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        return flags

    def find(self, backward: bool = False, from_selection_start: bool = False) -> bool:
        """Select the next (previous) match, wrapping around; False when there is none."""
        editor, needle = self._editor, self.find_field.text()
        if editor is None or not needle:
            self.status.setText("")
            return False
        doc = editor.document()
        cursor = editor.textCursor()
        if from_selection_start:
            cursor.setPosition(cursor.selectionStart())
        found = doc.find(needle, cursor, self._flags(backward))
        if found.isNull():  # wrap around
            start = QTextCursor(doc)
            if backward:
                start.movePosition(QTextCursor.MoveOperation.End)
            found = doc.find(needle, start, self._flags(backward))
        if found.isNull():
            self.status.setText("No match")
            return False
        self.status.setText("")
        editor.setTextCursor(found)
        return True

    def _selection_matches(self) -> bool:
        selected = self._editor.textCursor().selectedText() if self._editor else ""
        needle = self.find_field.text()
        if self.case_box.isChecked():
            return selected == needle
        return selected.lower() == needle.lower()

    def replace(self) -> None:
        """Replace the selected match (if it is one) and go to the next."""
        if self._editor is None or not self.find_field.text():
            return
        if self._selection_matches():
            self._editor.textCursor().insertText(self.replace_field.text())
        self.find()

    def replace_all(self) -> int:
        """Replace every match as one undo step; returns how many."""
        editor, needle = self._editor, self.find_field.text()
        if editor is None or not needle:
            return 0
        doc = editor.document()
        flags = self._flags(False)
        cursor = QTextCursor(doc)
        edit = QTextCursor(doc)
        edit.beginEditBlock()
        count = 0
        while True:
            cursor = doc.find(needle, cursor, flags)
            if cursor.isNull():
                break
            cursor.insertText(self.replace_field.text())
            count += 1
        edit.endEditBlock()
        self.status.setText(f"{count} replaced")
        return count
