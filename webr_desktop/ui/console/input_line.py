"""The console's input line: Enter submits, Up/Down walk history, Esc/Ctrl+C interrupt.

A QPlainTextEdit (not a QLineEdit) so a multi-line paste can be intercepted: every complete
pasted line is submitted in order, like pasting into R's terminal; the last partial line
stays for editing. Tab (after a name) and Ctrl+Space complete with R's own completions
once ``set_completions`` gave it a completion service.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QWidget

from webr_desktop.ui.editor.completer import POPUP_KEYS, CompletionPopup, CompletionSource, follows_token


class ConsoleInputLine(QPlainTextEdit):
    sig_lines_submitted = Signal(list)  # list[str], in order
    sig_history_requested = Signal(int)  # -1 previous, +1 next
    sig_interrupt_requested = Signal()
    sig_clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTabChangesFocus(False)
        self.document().setDocumentMargin(0)
        self._fit_height()
        self.completion = CompletionPopup(self)

    def set_completions(self, completions: CompletionSource | None) -> None:
        """Where Tab/Ctrl+Space completions come from (None: no completions)."""
        self.completion.set_source(completions)

    def text(self) -> str:
        return self.toPlainText()

    def set_text(self, text: str) -> None:
        self.setPlainText(text)
        self.moveCursor(QTextCursor.MoveOperation.End)

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        height = self.fontMetrics().lineSpacing() + 2 * int(self.document().documentMargin()) + 4
        self.setFixedHeight(height)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if self.completion.is_visible() and key in POPUP_KEYS:
            event.ignore()  # the completion popup takes these
        elif (key == Qt.Key.Key_Tab and not ctrl and follows_token(self)) or (ctrl and key == Qt.Key.Key_Space):
            self.completion.request()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            line = self.text()
            self.clear()
            self.sig_lines_submitted.emit([line])
        elif key == Qt.Key.Key_Up:
            self.sig_history_requested.emit(-1)
        elif key == Qt.Key.Key_Down:
            self.sig_history_requested.emit(1)
        elif key == Qt.Key.Key_Escape:
            self.clear()
            self.sig_interrupt_requested.emit()
        elif ctrl and key == Qt.Key.Key_C and not self.textCursor().hasSelection():
            self.sig_interrupt_requested.emit()
        elif ctrl and key == Qt.Key.Key_L:
            self.sig_clear_requested.emit()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        else:
            super().keyPressEvent(event)
            self.completion.after_key(event)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802
        if not source.hasText():
            return
        cursor = self.textCursor()
        full = self.text()
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        pasted = source.text().replace("\r\n", "\n").replace("\r", "\n")
        combined = full[:start] + pasted + full[end:]
        lines = combined.split("\n")
        if len(lines) == 1:
            super().insertFromMimeData(source)
            return
        rest = lines.pop()
        self.set_text(rest)
        self.sig_lines_submitted.emit(lines)
