"""Plots on the clipboard: a bitmap, plus SVG where the platform takes it.

PySide6 crashes at interpreter exit while a QMimeData holding an image is still on the
clipboard, so the app tags its own data and clears it when quitting (clipboard managers have
taken their copy by then; without one, X11 loses it at exit anyway).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData
from PySide6.QtGui import QGuiApplication, QImage

SVG_MIME = "image/svg+xml"
TAG_MIME = "application/x-webr-desktop-plot"


def copy_plot(image: QImage, svg: bytes | None = None) -> None:
    mime = QMimeData()
    mime.setImageData(image)
    if svg is not None:
        mime.setData(SVG_MIME, QByteArray(svg))
    mime.setData(TAG_MIME, QByteArray(b"1"))
    QGuiApplication.clipboard().setMimeData(mime)


def release_clipboard() -> None:
    """At quit: drop a plot this app put on the clipboard, and nothing else."""
    clipboard = QGuiApplication.clipboard()
    data = clipboard.mimeData()
    if data is not None and data.hasFormat(TAG_MIME):
        clipboard.clear()
