"""A separate, larger window showing one plot re-rendered by R at the window's size.

It replays the plot on R's png() device at the window's logical size and the screen's pixel
density (96 DPI per logical inch, times the device pixel ratio), so text stays crisp at any
size. One render is in flight at a time; the latest size wins.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QVBoxLayout, QWidget

from webr_desktop.core.plot_export import ExportSpec, ExportSpecError
from webr_desktop.models.plot_history import PlotEntry
from webr_desktop.ui.plots.plots_pane import PlotCanvas, entry_pixmap

LOGICAL_DPI = 96


class Renderer(Protocol):
    def render(self, spec: ExportSpec, entry: PlotEntry | None = None) -> QObject: ...


class PlotZoomWindow(QWidget):
    """Top-level window for one plot entry."""

    sig_rendered = Signal(int, int)  # pixel size of the image now shown

    def __init__(self, renderer: Renderer, entry: PlotEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Plot #{entry.r_id} — zoom" if entry.r_id is not None else "Plot — zoom")
        self._renderer = renderer
        self._entry = entry
        self._busy = False
        self._rendered_for: tuple[int, int, float] | None = None
        self.canvas = PlotCanvas(self)
        self.canvas.set_pixmap(entry_pixmap(entry))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self._render)
        self.canvas.sig_resized.connect(lambda w, h: self._timer.start())
        self.resize(900, 680)

    def _wanted(self) -> tuple[int, int, float]:
        return self.canvas.width(), self.canvas.height(), self.devicePixelRatioF()

    def _render(self) -> None:
        if not self._entry.recorded:
            return  # the bitmap we have is all there is
        if self._busy or self._rendered_for == self._wanted():
            return
        w, h, dpr = self._wanted()
        try:
            spec = ExportSpec("png", w / LOGICAL_DPI, h / LOGICAL_DPI, round(LOGICAL_DPI * dpr)).validated()
        except ExportSpecError:
            return  # too small (or absurdly large) to re-render: keep the current image
        self._busy = True
        self._rendered_for = (w, h, dpr)
        request = self._renderer.render(spec, self._entry)
        request.sig_finished.connect(lambda data: self._on_image(data, dpr))
        request.sig_failed.connect(self._on_failed)

    def _on_image(self, data: bytes, dpr: float) -> None:
        self._busy = False
        pixmap = QPixmap()
        if pixmap.loadFromData(data, "PNG"):
            pixmap.setDevicePixelRatio(dpr)
            self.canvas.set_pixmap(pixmap)
            self.sig_rendered.emit(pixmap.width(), pixmap.height())
        if self._rendered_for != self._wanted():
            self._timer.start()

    def _on_failed(self, error: str) -> None:
        self._busy = False
        self.setWindowTitle(f"{self.windowTitle().split(' — ')[0]} — {error}")
