"""The start-up question after a crash: restore the unsaved files the last run left behind?"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from webr_desktop.core.recovery import Buffer

MAX_LISTED = 12


def restore_message(buffers: list[Buffer]) -> str:
    """The dialog's text: the count, then the titles (and where each was saved, if ever)."""
    count = len(buffers)
    noun = "unsaved file" if count == 1 else "unsaved files"
    lines = []
    for buffer in buffers[:MAX_LISTED]:
        where = f" — {escape(buffer.path)}" if buffer.path else " — never saved"
        lines.append(f"<li><b>{escape(buffer.title)}</b><span style='color:#777'>{where}</span></li>")
    if count > MAX_LISTED:
        lines.append(f"<li>… and {count - MAX_LISTED} more</li>")
    return (f"<p>webR Desktop closed unexpectedly. Restore {count} {noun}?</p>"
            f"<ul style='margin-left:-20px'>{''.join(lines)}</ul>"
            "<p>Discard deletes these copies; files saved on disk are not touched.</p>")


def restore_box(parent: QWidget | None, buffers: list[Buffer]) -> tuple[QMessageBox, QAbstractButton]:
    """The question as a message box, and its Restore button (split out to look at it)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Restore Unsaved Files")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(restore_message(buffers))
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(restore)
    return box, restore


def ask_restore(parent: QWidget | None, buffers: list[Buffer]) -> bool:
    """True if the user wants ``buffers`` restored into the editor (False: discard them)."""
    if not buffers:
        return False
    box, restore = restore_box(parent, buffers)
    box.exec()
    return box.clickedButton() is restore
