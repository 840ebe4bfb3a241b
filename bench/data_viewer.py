"""Data viewer benchmark; prints one JSON object.

view_first_page_ms      = median over runs of: `View(df)` submitted in the real console for a
                          1e6 x 10 data.frame -> the viewer's table paints its first rows
                          fetched from R (R keeps the data; Python asks for the visible block).
view_peak_rss_mb_delta  = growth of the app process's peak RSS over those runs (VmHWM reset
                          before); view_peak_rss_mb_delta_1e5 is the same for a 1e5-row frame:
                          about equal, because memory does not depend on the row count.
sort_ms                 = median of: a header sort on the 1e6-row frame -> the table paints
                          the first rows of R's new order.
stock_view_ms           = median of webR's own View() on a 1e5 x 5 frame in a bare webR page of
                          the same engine: writeConsole -> its `view` message (every cell as a
                          formatted string) delivered to Python as JSON; stock_view_mb its size.
first_page_vs_stock     = view_first_page_ms / stock_view_ms (at 10x the rows and 2x the columns).

Usage: .venv/bin/python bench/data_viewer.py [--runs N] [--load N]
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_load_argument,
    cpu_load,
    bare_page,
    build_app,
    emit_json,
    init_qt,
    make_paint_probe,
    median,
    pause,
    private_env,
    rnd,
    wait_first_prompt,
    wait_until,
)

BIG = "df <- as.data.frame(matrix(runif(1e7), ncol = 10)); invisible(gc())"
SMALL = "small <- as.data.frame(matrix(runif(1e6), ncol = 10)); invisible(gc())"


def peak_rss_mb() -> float:
    """The process's peak resident set size since the last reset (Linux VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def run_console(parts, code: str, timeout_s: float = 120) -> None:
    from webr_desktop.runtime.session import SessionState

    session = parts.services.session
    parts.console.submit(code)
    pause(20)
    wait_until(lambda: session.state is SessionState.IDLE, timeout_s, code, step_ms=2)


def open_view(parts, expr: str) -> tuple[float, object]:
    """Submit View(expr); returns (ms until the table painted fetched rows, the viewer)."""
    tabs = parts.window.data_views
    hit: list[float] = []
    probes: list = []

    def on_opened(_model) -> None:  # runs after the app's own slot made the viewer
        viewer = tabs.current_viewer()
        probe = make_paint_probe(viewer.table.viewport(), lambda _e: viewer.model.cached_row_count > 0, hit.append)
        probe.armed = True
        probes.append((viewer, probe))

    service = parts.window.data_service
    service.sig_view_opened.connect(on_opened)
    t0 = time.perf_counter()
    parts.console.submit(f"View({expr})")
    wait_until(lambda: bool(hit), 60, f"View({expr}) painted", step_ms=1)
    service.sig_view_opened.disconnect(on_opened)
    viewer, probe = probes[0]
    viewer.table.viewport().removeEventFilter(probe)
    return (hit[0] - t0) * 1000.0, viewer


def close_views(parts) -> None:
    parts.window.data_views.close_all()
    pause(20)


def measure_views(parts, expr: str, runs: int) -> tuple[list[float], float]:
    times: list[float] = []
    reset_peak_rss()
    base = peak_rss_mb()
    for _ in range(runs):
        ms, _viewer = open_view(parts, expr)
        times.append(ms)
        wait_until(lambda: parts.services.session.state.value == "idle", 30, "the prompt")
        close_views(parts)
    return times, peak_rss_mb() - base


def measure_sort(parts, runs: int) -> list[float]:
    from PySide6.QtCore import Qt

    _ms, viewer = open_view(parts, "df")
    model = viewer.model
    times: list[float] = []
    for i in range(runs):
        loaded: list[float] = []
        hit: list[float] = []
        def on_loaded(*_args, loaded=loaded) -> None:
            loaded.append(1)

        model.sig_block_loaded.connect(on_loaded)
        probe = make_paint_probe(viewer.table.viewport(), lambda _e: bool(loaded), hit.append)
        probe.armed = True
        order = Qt.SortOrder.AscendingOrder if i % 2 == 0 else Qt.SortOrder.DescendingOrder
        t0 = time.perf_counter()
        viewer.table.sortByColumn(i % 10, order)
        wait_until(lambda: bool(hit), 60, "the sorted rows painted", step_ms=1)
        times.append((hit[0] - t0) * 1000.0)
        viewer.table.viewport().removeEventFilter(probe)
        model.sig_block_loaded.disconnect(on_loaded)
        pause(50)
    close_views(parts)
    return times


def measure_stock(runs: int) -> tuple[list[float], int]:
    with bare_page() as page:
        page.request("eval", "{ df5 <- as.data.frame(matrix(runif(5e5), ncol = 5)); 0 }", 60)
        times, size = [], 0
        for i in range(runs + 1):  # the first is a warm-up (R's first format.data.frame)
            ms, value, _js = page.request("view", "View(df5)", 120)
            if i:
                times.append(ms)
            size = int(value)
            pause(50)
        return times, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    add_load_argument(parser)
    args = parser.parse_args()
    private_env()
    app = init_qt()
    result: dict = {"benchmark": "data_viewer", "load": args.load, "runs": args.runs}
    try:
        with cpu_load(args.load):
            parts = build_app()
            wait_first_prompt(parts)
            run_console(parts, BIG)
            run_console(parts, SMALL)
            measure_views(parts, "df", 2)  # warm-up: first table, fonts, R's byte-compiler
            view_times, rss_big = measure_views(parts, "df", args.runs)
            _small_times, rss_small = measure_views(parts, "small", args.runs)
            sort_times = measure_sort(parts, args.runs)
            parts.close()
            stock_times, stock_bytes = measure_stock(max(3, args.runs // 2))
            result.update(
                view_first_page_ms=rnd(median(view_times)),
                view_first_page_max_ms=rnd(max(view_times)),
                view_peak_rss_mb_delta=rnd(rss_big),
                view_peak_rss_mb_delta_1e5=rnd(rss_small),
                sort_ms=rnd(median(sort_times)),
                stock_view_ms=rnd(median(stock_times)),
                stock_view_mb=rnd(stock_bytes / 1e6),
                first_page_vs_stock=rnd(median(view_times) / median(stock_times), 3),
                frame="1e6 x 10 doubles (stock: 1e5 x 5)",
            )
    except Exception as exc:  # noqa: BLE001 - the JSON says what failed
        traceback.print_exc()
        result["error"] = str(exc)
    emit_json(result)
    del app
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
