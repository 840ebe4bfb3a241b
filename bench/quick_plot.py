"""Quick plot benchmark; prints one JSON object.

points              = points per plot (1e6 unless --points)
decode_ms           = median QuickPlotData.decode of an x+y blob (the zero-copy wrap + checks)
<kind>_open_ms      = median time to build the window and draw its first frame
<kind>_frame_ms_p50 = median time of one pan or zoom step plus a full repaint (window.grab()),
                      over --frames steps alternating zoom-in and pan, as a drag would
<kind>_frame_ms_p95 = the same, 95th percentile

Offscreen (QT_QPA_PLATFORM=offscreen unless set), so it measures the raster painting that a
software-rendered desktop does, not GPU compositing.

Usage: .venv/bin/python bench/quick_plot.py [--points N] [--frames N] [--runs N] [--load N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_load_argument, cpu_load, emit_json, median, percentile, rnd  # noqa: E402

ZOOM = {"line": (0.8, 1.0), "scatter": (0.7, 0.7), "hist": (0.8, 0.8)}


def blob_for(kind: str, n: int) -> tuple[dict[str, object], bytes]:
    """R-like inputs: a random walk, a correlated cloud, normal draws."""
    import numpy as np

    rng = np.random.default_rng(42)
    meta: dict[str, object] = {"kind": kind, "n": n, "has_x": kind == "scatter", "title": kind, "xlab": "x", "ylab": "y"}
    if kind == "line":
        values = np.cumsum(rng.standard_normal(n))
    elif kind == "scatter":
        x = rng.standard_normal(n)
        values = np.concatenate([x, 0.5 * x + rng.standard_normal(n)])
    else:
        values = rng.standard_normal(n)
    return meta, values.astype("<f8").tobytes()


def frame_times(window: object, zoom: tuple[float, float], frames: int) -> list[float]:
    view = window.plot_widget.getViewBox()  # type: ignore[attr-defined]
    times = []
    for i in range(frames):
        start = time.perf_counter()
        if i % 2 == 0:
            view.scaleBy(zoom)
        else:
            (x0, x1), _ = view.viewRange()
            view.translateBy(x=(x1 - x0) * 0.1)
        window.grab()  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    add_load_argument(parser)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from webr_desktop.models.quick_plot import QuickPlotData
    from webr_desktop.ui.plots.quick_plot import QuickPlotWindow

    result: dict[str, str | float | int] = {"benchmark": "quick_plot", "load": args.load, "points": args.points}
    decode_ms: list[float] = []
    with cpu_load(args.load):
        for kind in ("line", "scatter", "hist"):
            meta, blob = blob_for(kind, args.points)
            opens: list[float] = []
            frames: list[float] = []
            for _ in range(args.runs):
                start = time.perf_counter()
                data = QuickPlotData.decode(meta, blob)
                decode_ms.append((time.perf_counter() - start) * 1000.0)
                start = time.perf_counter()
                window = QuickPlotWindow(data)
                window.resize(800, 600)
                window.show()
                app.processEvents()
                window.grab()
                opens.append((time.perf_counter() - start) * 1000.0)
                frames += frame_times(window, ZOOM[kind], args.frames)
                window.close()
                window.deleteLater()
                app.processEvents()
            result[f"{kind}_frame_ms_p50"] = rnd(median(frames))
            result[f"{kind}_frame_ms_p95"] = rnd(percentile(frames, 95))
            result[f"{kind}_open_ms"] = rnd(median(opens))
    result["decode_ms"] = rnd(median(decode_ms), 3)
    emit_json(result)


if __name__ == "__main__":
    main()
