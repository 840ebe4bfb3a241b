"""The dialogs behind rstudioapi's selectFile, selectDirectory, showDialog, showQuestion,
showPrompt and askForPassword: native Qt dialogs, opened window-modal without a nested event
loop (``open()``, not ``exec()``), each answering through ``on_done`` when the user closes it,
so R's call waits while the window keeps painting.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

DIALOG_NAME = "rstudioapi-dialog"  # objectName of every dialog R opens (tests find them by it)


def _prepare(dialog: QDialog, title: str) -> QDialog:
    dialog.setObjectName(DIALOG_NAME)
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return dialog


def ask_file(
    parent: QWidget | None, caption: str, label: str, start: str, name_filter: str, existing: bool,
    on_done: Callable[[str | None], None],
) -> QFileDialog:
    """A file to open (``existing``) or to save to; ``on_done(path or None)``."""
    dialog = QFileDialog(parent, caption, start, name_filter or "All Files (*)")
    _prepare(dialog, caption)
    if existing:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    else:
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    if label:
        dialog.setLabelText(QFileDialog.DialogLabel.Accept, label)
    _answer_files(dialog, on_done)
    dialog.open()
    return dialog


def ask_directory(
    parent: QWidget | None, caption: str, label: str, start: str, on_done: Callable[[str | None], None],
) -> QFileDialog:
    """An existing folder; ``on_done(path or None)``."""
    dialog = QFileDialog(parent, caption, start)
    _prepare(dialog, caption)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    if label:
        dialog.setLabelText(QFileDialog.DialogLabel.Accept, label)
    _answer_files(dialog, on_done)
    dialog.open()
    return dialog


def _answer_files(dialog: QFileDialog, on_done: Callable[[str | None], None]) -> None:
    def finished(result: int) -> None:
        files = dialog.selectedFiles()
        on_done(files[0] if result == QDialog.DialogCode.Accepted and files else None)

    dialog.finished.connect(finished)


def show_message(
    parent: QWidget | None, title: str, message: str, url: str, on_done: Callable[[], None],
) -> QMessageBox:
    """An information box (with ``url`` as a link under the message); ``on_done()``."""
    box = QMessageBox(QMessageBox.Icon.Information, title, "", QMessageBox.StandardButton.Ok, parent)
    _prepare(box, title)
    if url:
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(f'{escape(message)}<br><a href="{escape(url, quote=True)}">{escape(url)}</a>')
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    else:
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(message)
    box.finished.connect(lambda _r: on_done())
    box.open()
    return box


def ask_question(
    parent: QWidget | None, title: str, message: str, ok: str, cancel: str, on_done: Callable[[bool], None],
) -> QMessageBox:
    """OK/Cancel (with the caller's button labels); ``on_done(True if OK)``."""
    box = QMessageBox(QMessageBox.Icon.Question, title, message, QMessageBox.StandardButton.NoButton, parent)
    _prepare(box, title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    yes = box.addButton(ok or "OK", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(cancel or "Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.finished.connect(lambda _r: on_done(box.clickedButton() is yes))
    box.open()
    return box


def ask_text(
    parent: QWidget | None, title: str, message: str, default: str, password: bool,
    on_done: Callable[[str | None], None],
) -> QInputDialog:
    """A line of text (hidden as typed for a password); ``on_done(text or None if cancelled)``."""
    dialog = QInputDialog(parent)
    _prepare(dialog, title)
    dialog.setLabelText(message)
    dialog.setTextValue(default)
    if password:
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
    dialog.finished.connect(
        lambda result: on_done(dialog.textValue() if result == QDialog.DialogCode.Accepted else None)
    )
    dialog.open()
    return dialog
