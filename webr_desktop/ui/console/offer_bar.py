"""OfferBar: one line above the console's input offering an action the user may take.

Used for what R can't do by itself: install a package that ``library()`` didn't find but a
configured source has, or restart R after a package it had loaded was updated or removed.
Nothing happens unless the user clicks; a new offer replaces the previous one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget


class OfferBar(QFrame):
    sig_accepted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OfferBar")
        self.setStyleSheet("#OfferBar { background: #fff6d5; border-top: 1px solid #e0c96b; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setStyleSheet("background: transparent;")  # the console paints its labels white
        self.accept_button = QPushButton(self)
        self.close_button = QToolButton(self)
        self.close_button.setText("\u2715")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.accept_button)
        layout.addWidget(self.close_button)
        self._action: Callable[[], object] | None = None
        self.accept_button.clicked.connect(self._on_accept_clicked)
        self.close_button.clicked.connect(self.dismiss)
        self.hide()

    def offer(self, text: str, action_text: str, action: Callable[[], object]) -> None:
        """Show ``text`` with a button ``action_text`` that runs ``action`` once."""
        self.label.setText(text)
        self.accept_button.setText(action_text)
        self._action = action
        self.show()

    def dismiss(self) -> None:
        self._action = None
        self.hide()

    def _on_accept_clicked(self) -> None:
        action, self._action = self._action, None
        self.hide()
        if action is not None:
            action()
            self.sig_accepted.emit()
