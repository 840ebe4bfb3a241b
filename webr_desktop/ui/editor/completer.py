"""CompletionPopup: R's completions in a popup under the cursor of a QPlainTextEdit.

Shared by the script editor and the console input. It asks the completion service (R's
engine, models/completion.py) for the token before the cursor; one candidate is inserted at
once, several show a QCompleter popup that keeps filtering while the user types. An answer
that arrives after the cursor moved elsewhere is dropped.
"""

from __future__ import annotations

import re
from typing import Protocol

from PySide6.QtCore import QObject, QStringListModel, Qt, SignalInstance
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QCompleter, QPlainTextEdit

_TOKEN_CHAR = re.compile(r"[\w.$@:]")
POPUP_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Tab, Qt.Key.Key_Backtab)


class CompletionSource(Protocol):
    """What the popup needs of models.completion.CompletionService."""

    sig_completed: SignalInstance

    def complete(self, line: str, cursor: int) -> int: ...


def follows_token(edit: QPlainTextEdit) -> bool:
    """Whether the character before the cursor can end an R name (Tab then completes)."""
    cursor = edit.textCursor()
    if cursor.hasSelection():
        return False
    col = cursor.positionInBlock()
    text = cursor.block().text()
    return col > 0 and bool(_TOKEN_CHAR.match(text[col - 1]))


class CompletionPopup(QObject):
    """Completion for one text edit; call ``request()`` on Tab/Ctrl+Space."""

    def __init__(self, edit: QPlainTextEdit, source: CompletionSource | None = None) -> None:
        super().__init__(edit)
        self._edit = edit
        self._source: CompletionSource | None = None
        self._pending = -1
        self._asked_at: tuple[int, int, str] = (-1, -1, "")  # block, column, line text
        self._token_start = 0  # absolute document position where the token began
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setWidget(edit)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseSensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setMaxVisibleItems(12)
        self.completer.activated.connect(self._on_completer_activated)
        self.set_source(source)

    def set_source(self, source: CompletionSource | None) -> None:
        """Use another completion service (or None: no completions)."""
        if self._source is not None:
            self._source.sig_completed.disconnect(self._on_source_completed)
        self._source = source
        self._pending = -1
        if source is not None:
            source.sig_completed.connect(self._on_source_completed)

    def is_visible(self) -> bool:
        return self.completer.popup().isVisible()

    def request(self) -> None:
        """Ask R for completions of the token before the cursor."""
        if self._source is None:
            return
        cursor = self._edit.textCursor()
        line = cursor.block().text()
        self._asked_at = (cursor.blockNumber(), cursor.positionInBlock(), line)
        self._pending = self._source.complete(line, cursor.positionInBlock())

    def after_key(self, event: QKeyEvent) -> None:
        """Keep the open popup's filter in step with what is typed (call after each key)."""
        if not self.is_visible():
            return
        cursor = self._edit.textCursor()
        if cursor.position() < self._token_start or (event.text() and not _TOKEN_CHAR.match(event.text())
                                                      and event.key() != Qt.Key.Key_Backspace):
            self.completer.popup().hide()
            return
        doc = self._edit.document()
        typed = "".join(doc.characterAt(i) for i in range(self._token_start, cursor.position()))
        self.completer.setCompletionPrefix(typed)
        if self.completer.completionCount() == 0:
            self.completer.popup().hide()

    def _on_source_completed(self, request_id: int, token: str, candidates: list) -> None:
        if request_id != self._pending:
            return
        cursor = self._edit.textCursor()
        if (cursor.blockNumber(), cursor.positionInBlock(), cursor.block().text()) != self._asked_at:
            return  # the user moved on
        col = cursor.positionInBlock()
        line = cursor.block().text()
        if not candidates or not line[:col].endswith(token):
            return
        self._token_start = cursor.position() - len(token)
        if len(candidates) == 1:
            self._insert(candidates[0])
            return
        self.model.setStringList(candidates)
        self.completer.popup().setFont(self._edit.font())
        self.completer.setCompletionPrefix(token)
        at_token = QTextCursor(self._edit.document())
        at_token.setPosition(self._token_start)
        rect = self._edit.cursorRect(at_token).translated(self._edit.viewport().pos())  # gutter
        popup = self.completer.popup()
        rect.setWidth(popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 8)
        self.completer.complete(rect)
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))

    def _on_completer_activated(self, text: object) -> None:
        if isinstance(text, str):
            self._insert(text)

    def _insert(self, candidate: str) -> None:
        """Replace the token (from where it began to the cursor) with ``candidate``."""
        cursor = self._edit.textCursor()
        if cursor.position() < self._token_start:
            return
        cursor.setPosition(self._token_start, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(candidate)
        self._edit.setTextCursor(cursor)
        self.completer.popup().hide()
