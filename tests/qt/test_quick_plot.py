"""Quick plot: decoding R's float64 blobs, and a window that holds and redraws 1e6 points.

The tests check what a pan or zoom draws; how long a frame takes is bench/quick_plot.py's
figure (``<kind>_frame_ms_p50``, budget 50 ms), since a wall-clock bound fails on a busy machine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from webr_desktop.models.quick_plot import KINDS, QuickPlotData, QuickPlotError
from webr_desktop.ui.plots.quick_plot import QuickPlotWindow

N = 1_000_000


def _meta(**changes: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"kind": "line", "n": 3, "has_x": False, "title": "t", "xlab": "x", "ylab": "y"}
    meta.update(changes)
    return meta


def _data(kind: str, y: np.ndarray, x: np.ndarray | None = None, title: str = "") -> QuickPlotData:
    blob = (np.concatenate([x, y]) if x is not None else y).astype("<f8").tobytes()
    meta = _meta(kind=kind, n=len(y), has_x=x is not None, title=title, xlab="x", ylab="y")
    return QuickPlotData.decode(meta, blob)


def _open(qtbot, data: QuickPlotData) -> QuickPlotWindow:
    window = QuickPlotWindow(data)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    return window


def _data_pixels(window: QuickPlotWindow) -> int:
    """Pixels in the data colour, solid or as the histogram's light fill (blue, unlike the black
    axes and grey grid): 0 means a blank plot."""
    image = window.plot_widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    blue, red = pixels[..., 0].astype(int), pixels[..., 2].astype(int)
    return int(np.count_nonzero(blue - red > 40))


def _pan_and_zoom(window: QuickPlotWindow, zoom: tuple[float, float], frames: int = 20) -> None:
    """Alternate zoom-in and pan steps, each followed by a full repaint, as a drag would."""
    view = window.plot_widget.getViewBox()
    for i in range(frames):
        if i % 2 == 0:
            view.scaleBy(zoom)
        else:
            (x0, x1), _ = view.viewRange()
            view.translateBy(x=(x1 - x0) * 0.1)
        window.grab()


# ----------------------------------------------------------------------------- decoding
def test_decode_round_trips_x_and_y_without_copying() -> None:
    x, y = np.arange(5.0), np.linspace(-1, 1, 5)
    blob = np.concatenate([x, y]).astype("<f8").tobytes()
    data = QuickPlotData.decode(_meta(kind="scatter", n=5, has_x=True, title="T", xlab="X", ylab="Y"), blob)
    assert (data.kind, data.title, data.xlab, data.ylab, data.n) == ("scatter", "T", "X", "Y", 5)
    np.testing.assert_array_equal(data.x, x)
    np.testing.assert_array_equal(data.y, y)
    assert data.y.base is not None and not data.y.flags.writeable  # a view of the blob


@pytest.mark.parametrize("kind", KINDS)
def test_decode_round_trips_y_only(kind: str) -> None:
    y = np.random.default_rng(0).standard_normal(100)
    data = QuickPlotData.decode(_meta(kind=kind, n=100), y.astype("<f8").tobytes())
    assert data.x is None and data.kind == kind
    np.testing.assert_array_equal(data.y, y)


def test_decode_reads_little_endian_and_empty_data() -> None:
    blob = np.array([1.5, -2.0, 3.25], dtype=">f8").astype("<f8").tobytes()
    np.testing.assert_array_equal(QuickPlotData.decode(_meta(), blob).y, [1.5, -2.0, 3.25])
    assert QuickPlotData.decode(_meta(n=0), b"").n == 0
    assert QuickPlotData.decode(_meta(n=1), bytearray(8)).y.tolist() == [0.0]


def test_decode_keeps_na_and_infinite_values() -> None:
    y = np.array([1.0, np.nan, np.inf, -np.inf])
    data = QuickPlotData.decode(_meta(n=4), y.tobytes())
    assert np.isnan(data.y[1]) and data.y[2] == np.inf and data.y[3] == -np.inf


@pytest.mark.parametrize(
    ("meta", "blob", "message"),
    [
        (["not", "a", "dict"], bytes(24), "must be a JSON object"),
        ({"kind": "line", "n": 3}, bytes(24), "missing has_x, title, xlab, ylab"),
        (_meta(kind="bar"), bytes(24), "unknown quick plot kind 'bar'"),
        (_meta(n=-1), b"", "must not be negative"),
        (_meta(n=3.0), bytes(24), "n must be an integer, got 3.0"),
        (_meta(n="3"), bytes(24), "n must be an integer"),
        (_meta(n=True), bytes(8), "n must be an integer, got True"),
        (_meta(has_x=1), bytes(48), "has_x must be true or false"),
        (_meta(kind="hist", has_x=True), bytes(48), "histogram takes only y"),
        (_meta(title=None), bytes(24), "title must be a string"),
        (_meta(xlab=1), bytes(24), "xlab must be a string"),
        (_meta(ylab=["y"]), bytes(24), "ylab must be a string"),
        (_meta(), bytes(16), "has 16 bytes but n=3 y float64 values need 24"),
        (_meta(), bytes(32), "has 32 bytes but n=3 y float64 values need 24"),
        (_meta(has_x=True), bytes(24), "n=3 x and y float64 values need 48"),
        (_meta(), "abc", "data must be bytes, got str"),
    ],
)
def test_decode_rejects_bad_messages(meta: Any, blob: Any, message: str) -> None:
    with pytest.raises(QuickPlotError, match=message):
        QuickPlotData.decode(meta, blob)


def test_quick_plot_error_is_a_value_error() -> None:
    assert issubclass(QuickPlotError, ValueError)


# ----------------------------------------------------------------------------- window
def test_line_window_holds_a_million_points_and_pans_and_zooms(qtbot) -> None:
    window = _open(qtbot, _data("line", np.random.rand(N), title="noise"))
    assert window.windowTitle() == "Quick plot — noise"
    assert window.point_count() == N
    assert window.status_label.text() == "1,000,000 points"
    assert window.item.opts["autoDownsample"] and window.item.opts["clipToView"]
    assert _data_pixels(window) > 1000
    _pan_and_zoom(window, zoom=(0.8, 1.0))
    assert _data_pixels(window) > 100  # still drawn after clipping to the zoomed view


def test_scatter_window_holds_a_million_points_and_pans_and_zooms(qtbot) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(N)
    window = _open(qtbot, _data("scatter", x * 0.5 + rng.standard_normal(N), x=x))
    assert window.point_count() == N
    assert _data_pixels(window) > 10_000
    # Zooming both axes crosses from the dense 1-px draw into the 2 and 3 px marker draws.
    _pan_and_zoom(window, zoom=(0.7, 0.7))
    assert _data_pixels(window) > 100


def test_hist_window_bins_a_million_points_and_pans_and_zooms(qtbot) -> None:
    window = _open(qtbot, _data("hist", np.random.default_rng(2).standard_normal(N)))
    assert window.point_count() == N
    bins = len(window.item.yData)
    assert 10 <= bins <= 200 and len(window.item.xData) == bins + 1
    assert window.status_label.text() == f"1,000,000 points in {bins} bins"
    assert _data_pixels(window) > 10_000
    _pan_and_zoom(window, zoom=(0.8, 0.8))


def test_na_values_are_gaps_in_lines_and_left_out_elsewhere(qtbot) -> None:
    rng = np.random.default_rng(3)
    y = np.sin(np.linspace(0, 20, N))
    y[rng.random(len(y)) < 0.01] = np.nan
    y[:5] = np.nan
    y[500_000] = np.inf
    bad = int(np.count_nonzero(~np.isfinite(y)))
    line = _open(qtbot, _data("line", y))
    assert line.point_count() == len(y)
    assert line.status_label.text() == f"1,000,000 points ({bad:,} NA or infinite drawn as gaps)"
    assert np.isfinite(line.item.yData).all()  # gaps come from the connect mask
    assert _data_pixels(line) > 1000  # 1% NA must not blank the downsampled line
    scatter = _open(qtbot, _data("scatter", y))
    assert scatter.point_count() == len(y) - bad
    assert "left out" in scatter.status_label.text()
    hist = _open(qtbot, _data("hist", y))
    assert hist.point_count() == len(y) - bad
    for window in (line, scatter, hist):
        _pan_and_zoom(window, zoom=(0.5, 0.5), frames=4)  # drawing with NA raises nothing


def test_all_na_and_empty_data_open_without_errors(qtbot) -> None:
    for kind in KINDS:
        for y in (np.full(10, np.nan), np.array([]), np.array([2.0])):
            window = _open(qtbot, _data(kind, y))
            window.grab()
            assert window.point_count() == (1 if len(y) == 1 else 0 if kind != "line" else len(y))


def test_line_x_defaults_to_the_r_index_and_odd_x_falls_back(qtbot) -> None:
    indexed = _open(qtbot, _data("line", np.array([5.0, 6.0, 7.0])))
    assert indexed.item.xData.tolist() == [1.0, 2.0, 3.0]
    decreasing = _open(qtbot, _data("line", np.array([1.0, 2.0, 3.0]), x=np.array([3.0, 2.0, 1.0])))
    assert decreasing.item.xData.tolist() == [1.0, 2.0, 3.0]  # reversed, same segments
    assert decreasing.item.yData.tolist() == [3.0, 2.0, 1.0]
    assert decreasing.item.opts["clipToView"]
    shuffled = _open(qtbot, _data("line", np.array([1.0, 2.0, 3.0]), x=np.array([2.0, 1.0, 3.0])))
    assert not shuffled.item.opts["clipToView"] and not shuffled.item.opts["autoDownsample"]


def test_reset_view_and_save_image(qtbot, tmp_path) -> None:
    window = _open(qtbot, _data("scatter", np.arange(100.0), x=np.arange(100.0)))
    view = window.plot_widget.getViewBox()
    view.setRange(xRange=(10, 11), yRange=(10, 11), padding=0)
    qtbot.mouseClick(window.reset_button, Qt.MouseButton.LeftButton)
    (x0, x1), (y0, y1) = view.viewRange()
    assert x0 <= 0 and x1 >= 99 and y0 <= 0 and y1 >= 99
    path = tmp_path / "plot.png"
    assert window.save_image(str(path))
    image = QImage(str(path))
    assert image.width() == window.plot_widget.width() and image.height() == window.plot_widget.height()


def test_labels_and_window_parent(qtbot) -> None:
    parent = _open(qtbot, _data("line", np.arange(3.0), title="parent"))
    child = QuickPlotWindow(_data("hist", np.arange(3.0)), parent)
    assert child.isWindow() and child.windowTitle() == "Quick plot — hist"
    plot = child.plot_widget.getPlotItem()
    assert plot.getAxis("bottom").labelText == "x" and plot.getAxis("left").labelText == "y"
