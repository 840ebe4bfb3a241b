"""QuickPlotWindow: a native, zoomable plot of large numeric vectors that R sends as float64.

R's raster device needs seconds for a million points and gives a picture that can't be
zoomed; pyqtgraph draws the numbers directly and redraws a pan or zoom in milliseconds. The
window shows one QuickPlotData and owns nothing else: whoever opens it decides its lifetime
(it holds the arrays, so close-and-delete it when done).

How each kind stays fast at 1e6 points (frame times: bench/quick_plot.py):

- line: PlotDataItem with peak downsampling and clip-to-view. Both assume increasing,
  finite x, so x that isn't sorted (or has NA) falls back to a plain, slower curve. NA in y
  is drawn as a gap through a per-segment ``connect`` mask over forward-filled y, not as NaN:
  peak downsampling takes max/min per block and one NaN would blank its whole block, so 1% NA
  would blank the whole zoomed-out line. The price: zoomed out, a gap wider than one block
  ends in a vertical stroke from the level before the gap to the level after it; zoomed in
  to one point per block (no downsampling) gaps are exact.
- scatter: _PointCloudItem, see its docstring.
- hist: numpy.histogram of the finite values (numpy's "auto" rule, at most 200 bins) drawn as
  one filled step curve, which is a few hundred vertices whatever n is.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pyqtgraph.functions as fn
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF, QTransform
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from webr_desktop.models.quick_plot import QuickPlotData

# Process-wide, and nothing else in the app uses pyqtgraph: R-like black on white, and no
# antialiasing, which costs several times the frame time at 1e6 vertices.
pg.setConfigOptions(antialias=False, background="w", foreground="k")

DATA_COLOR = QColor(0, 70, 160)
HIST_FILL = QColor(0, 70, 160, 90)
MAX_HIST_BINS = 200


def _polygon(x: np.ndarray, y: np.ndarray) -> QPolygonF:
    """Pack points into a QPolygonF through a numpy view of its buffer (no per-point Python)."""
    if not len(x):
        return QPolygonF()  # an empty polygon's buffer is a null, read-only pointer
    polygon = fn.create_qpolygonf(len(x))
    xy = fn.ndarray_from_qpolygonf(polygon)
    xy[:, 0] = x
    xy[:, 1] = y
    return polygon


class _PointCloudItem(pg.GraphicsObject):
    """Scatter points drawn with one ``QPainter.drawPoints`` call and a 1-px cosmetic pen.

    Measured offscreen at 1e6 points, 800x600, median frame after a pan or zoom:
    ScatterPlotItem (pxMode, useCache) ~110 ms, PlotDataItem with symbols ~700 ms,
    drawPoints with a 1-px pen ~17 ms, but ~390 ms with a 2-px pen (Qt strokes each point).
    Zero-length ``connect="pairs"`` segments draw nothing at all. So dense views get 1-px
    points (they overlap anyway), and once few points are in view the visible subset is drawn
    2 or 3 times wider by repeating the 1-px draw at whole-pixel offsets, which is still the
    fast path. No subsampling: every point, outliers included, stays on screen.
    """

    # Most points in view for 2x2 and 3x3 px markers: n x size**2 single-pixel draws stay
    # about as cheap as the full 1-px cloud.
    WIDE_MAX = 250_000
    WIDEST_MAX = 20_000

    def __init__(self, x: np.ndarray, y: np.ndarray, color: QColor) -> None:
        super().__init__()
        self.xData = np.ascontiguousarray(x, dtype=np.float64)
        self.yData = np.ascontiguousarray(y, dtype=np.float64)
        self._all = _polygon(self.xData, self.yData)
        self._pen = QPen(color)
        self._pen.setWidth(1)
        self._pen.setCosmetic(True)
        self._bounds: list[tuple[float, float]] = [(0.0, 0.0), (0.0, 0.0)]
        if len(self.xData):
            self._bounds = [(float(a.min()), float(a.max())) for a in (self.xData, self.yData)]
        (x0, x1), (y0, y1) = self._bounds
        self._rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        if x0 == x1 or y0 == y1:  # Qt culls an empty rect: one point or a flat cloud would vanish
            self._rect.adjust(-0.5 * (x0 == x1), -0.5 * (y0 == y1), 0.5 * (x0 == x1), 0.5 * (y0 == y1))
        self._view_key: tuple[float, float, float, float] | None = None
        self._view_points: tuple[QPolygonF, int] = (self._all, 1)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange: object = None) -> tuple[float, float]:  # noqa: N802, N803
        return self._bounds[ax]

    def pixelPadding(self) -> int:  # noqa: N802
        return 2  # the widest marker reaches 1 px past its point; keep it inside autoRange

    def _visible(self) -> tuple[QPolygonF, int]:
        """The polygon to draw and the marker size, recomputed only when the view moved."""
        rect = self.viewRect()
        if rect is None:
            return self._all, 1
        rect = rect.normalized()
        key = (rect.left(), rect.top(), rect.right(), rect.bottom())
        if key != self._view_key:
            x, y = self.xData, self.yData
            inside = (x >= key[0]) & (x <= key[2]) & (y >= key[1]) & (y <= key[3])
            count = int(np.count_nonzero(inside))
            if count > self.WIDE_MAX:
                self._view_points = (self._all, 1)
            else:
                size = 3 if count <= self.WIDEST_MAX else 2
                self._view_points = (_polygon(x[inside], y[inside]), size)
            self._view_key = key
        return self._view_points

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        polygon, size = self._visible()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(self._pen)
        base = painter.transform()
        for dx in range(size):
            for dy in range(size):
                # base * translate: the offset is applied after the data->device mapping,
                # so it is whole device pixels at any zoom.
                painter.setTransform(base * QTransform.fromTranslate(dx - size // 2, dy - size // 2))
                painter.drawPoints(polygon)
        painter.setTransform(base)


def _forward_filled(y: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """``y`` with each non-finite value replaced by the last finite one before it (or the first)."""
    if not finite.any():
        return np.zeros_like(y)
    index = np.where(finite, np.arange(len(y)), 0)
    np.maximum.accumulate(index, out=index)
    filled = y[index]
    first = int(np.argmax(finite))
    filled[:first] = y[first]
    return filled


def _hist_bin_count(values: np.ndarray) -> int:
    """numpy's "auto" rule (the finer of Sturges and Freedman-Diaconis), capped.

    Computed here rather than with ``bins="auto"`` because numpy builds the auto edges before
    any cap: one far outlier with a small IQR asks it for billions of bins.
    """
    n = len(values)
    sturges = int(math.ceil(math.log2(n))) + 1 if n > 1 else 1
    span = float(values.max() - values.min()) if n else 0.0
    q75, q25 = np.percentile(values, [75, 25]) if n else (0.0, 0.0)
    fd_width = 2.0 * float(q75 - q25) / n ** (1 / 3) if n else 0.0
    fd = int(math.ceil(span / fd_width)) if fd_width > 0 else 0
    return max(1, min(MAX_HIST_BINS, max(sturges, fd)))


class QuickPlotWindow(QWidget):
    """A top-level window with one plot, its point count, "Reset view" and "Save image…"."""

    def __init__(self, data: QuickPlotData, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)  # its own window even with a parent
        self._data = data
        self.setWindowTitle(f"Quick plot — {data.title or data.kind}")
        self.resize(800, 600)
        self.plot_widget = pg.PlotWidget(self)
        self.plot_widget.showGrid(x=True, y=True, alpha=0.25)
        for side in ("bottom", "left"):
            # R users read data values; "x (x0.001)" rescaled ticks would be a puzzle.
            self.plot_widget.getAxis(side).enableAutoSIPrefix(False)
        if data.title:
            self.plot_widget.setTitle(data.title)
        if data.xlab:
            self.plot_widget.setLabel("bottom", data.xlab)
        if data.ylab:
            self.plot_widget.setLabel("left", data.ylab)
        self.status_label = QLabel(self)
        self.reset_button = QPushButton("Reset view", self)
        self.save_button = QPushButton("Save image…", self)
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.save_button.clicked.connect(self._on_save_clicked)

        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot_widget, 1)
        layout.addLayout(buttons)

        build = {"line": self._add_line, "scatter": self._add_scatter, "hist": self._add_hist}
        self._non_finite = 0  # values NA, NaN or infinite; set by the builder
        self.item: pg.GraphicsObject = build[data.kind]()
        self.status_label.setText(self._status_text())

    # ----------------------------------------------------------------------------- items
    def _add_line(self) -> pg.PlotDataItem:
        y = self._data.y
        x = self._data.x if self._data.x is not None else np.arange(1, len(y) + 1, dtype=np.float64)
        steps = np.diff(x)
        fast = bool(np.isfinite(x).all()) and (bool((steps >= 0).all()) or bool((steps <= 0).all()))
        if fast and len(x) > 1 and x[0] > x[-1]:
            x, y = x[::-1], y[::-1]  # same segments, now increasing as clip/downsample need
        finite = np.isfinite(y)
        self._non_finite = int(np.count_nonzero(~(finite & np.isfinite(x))))
        pen = pg.mkPen(DATA_COLOR, width=1)
        if not fast:
            item = pg.PlotDataItem(x, y, pen=pen, connect="finite")
        elif finite.all():
            item = pg.PlotDataItem(x, y, pen=pen, connect="all", skipFiniteCheck=True)
        else:
            connect = finite & np.append(finite[1:], False)  # segment i -> i+1 needs both ends
            item = pg.PlotDataItem(x, _forward_filled(y, finite), pen=pen, connect=connect, skipFiniteCheck=True)
        self.plot_widget.addItem(item)
        if fast:
            # Only after addItem: while Qt adds it to the scene its "view" is the PlotWidget,
            # which clip-to-view would ask for autoRangeEnabled() (AttributeError in itemChange).
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
        return item

    def _add_scatter(self) -> _PointCloudItem:
        y = self._data.y
        x = self._data.x if self._data.x is not None else np.arange(1, len(y) + 1, dtype=np.float64)
        keep = np.isfinite(x) & np.isfinite(y)
        self._non_finite = len(y) - int(np.count_nonzero(keep))
        if self._non_finite:
            x, y = x[keep], y[keep]
        item = _PointCloudItem(x, y, DATA_COLOR)
        self.plot_widget.addItem(item)
        return item

    def _add_hist(self) -> pg.PlotDataItem:
        values = self._data.y[np.isfinite(self._data.y)]
        self._non_finite = len(self._data.y) - len(values)
        counts, edges = np.histogram(values, bins=_hist_bin_count(values))
        item = pg.PlotDataItem(
            edges, counts.astype(np.float64), stepMode="center", fillLevel=0,
            pen=pg.mkPen(DATA_COLOR, width=1), brush=HIST_FILL, skipFiniteCheck=True,
        )
        self.plot_widget.addItem(item)
        return item

    # ----------------------------------------------------------------------------- state
    def point_count(self) -> int:
        """Points the item holds: the data a histogram binned, or the vertices/points drawn from."""
        if self._data.kind == "hist":
            return 0 if self.item.yData is None else int(self.item.yData.sum())
        return 0 if self.item.xData is None else len(self.item.xData)  # None: pyqtgraph's empty

    def _status_text(self) -> str:
        shown = self.point_count()
        text = f"{shown:,} point{'s' if shown != 1 else ''}"
        if self._data.kind == "hist":
            text += f" in {0 if self.item.yData is None else len(self.item.yData):,} bins"
        if self._non_finite:
            verb = "drawn as gaps" if self._data.kind == "line" else "left out"
            text += f" ({self._non_finite:,} NA or infinite {verb})"
        return text

    def save_image(self, path: str) -> bool:
        """Write the plot as shown (a WYSIWYG grab) to ``path`` as PNG; False if that failed."""
        return self.plot_widget.grab().save(path, "PNG")

    # ----------------------------------------------------------------------------- slots
    def _on_reset_clicked(self) -> None:
        self.plot_widget.getViewBox().autoRange()

    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save image", "quick-plot.png", "PNG image (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        outcome = "saved" if self.save_image(path) else "could not save"
        self.status_label.setText(f"{self._status_text()} — {outcome} {path}")
