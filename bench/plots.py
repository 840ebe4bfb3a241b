"""Plots benchmark; prints one JSON object.

plot_to_pane_ms   = median over runs of: `plot(1:10)` submitted in the real console -> the
                    pane's canvas paints the new image (R draws on the canvas device, the page
                    composites the layers and encodes one PNG, Python decodes and paints).
bare_plot_ms      = median of the same `plot(1:10)` in a bare webR page of the same engine,
                    from writeConsole to the prompt after R drew on webR's canvas device (its
                    ImageBitmaps read in JS, nothing composited or shown): the raw webR floor.
plot_ratio        = plot_to_pane_ms / bare_plot_ms.
export_ms.<fmt>   = median of PlotService.render() at 2000 x 1500 px (10 x 7.5 in at 200 DPI)
                    -> the file's bytes in Python; export_first_ms.<fmt> is the first (cold) one.

trace             = with --trace: per hop of `plot(1:10)` (submit -> bridge -> page -> R's wd-plot
                    marker -> canvas layers composited -> PNG encode -> QWebChannel -> base64 and
                    PNG decode -> paint), ms after the submit, median and p90 over --runs more runs.

Usage: .venv/bin/python bench/plots.py [--runs N] [--export-runs N] [--load N] [--trace]
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
    Waiter,
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

FORMATS = ("png", "jpeg", "tiff", "svg", "pdf")


def measure_pane(parts, runs: int, tracer=None) -> list[float]:
    """``runs`` timed plots after 3 warm-ups; with a Tracer, each timed run is also traced."""
    from webr_desktop.runtime.session import SessionState

    pane = parts.window.plots.pane
    session = parts.services.session
    shown = {"key": None}
    hit: list[float] = []

    def changed(_event) -> bool:
        pixmap = pane.canvas.pixmap()
        return pixmap is not None and pixmap.cacheKey() != shown["key"]

    probe = make_paint_probe(pane.canvas, changed, hit.append)
    times: list[float] = []
    for i in range(runs + 3):  # 3 warm-up plots (fonts, first device)
        pixmap = pane.canvas.pixmap()
        shown["key"] = pixmap.cacheKey() if pixmap is not None else None
        hit.clear()
        if tracer is not None:
            tracer.begin()
        probe.armed = True
        t0 = time.perf_counter()
        parts.console.submit("plot(1:10)")
        wait_until(lambda: bool(hit), 30, "the plot in the pane", step_ms=1)
        if i >= 3:
            times.append((hit[0] - t0) * 1000.0)
        wait_until(lambda: session.state is SessionState.IDLE, 30, "the prompt")
        if tracer is not None and i >= 3:
            tracer.mark("py.submit", t_perf=t0)
            tracer.mark("py.plot.painted", t_perf=hit[0])
            tracer.mark("py.session.idle")
            tracer.end()
        pause(1500 if i == 0 else 50)  # after the first plot R loads its file-device fonts
    pane.canvas.removeEventFilter(probe)
    return times


def measure_exports(parts, runs: int) -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
    from webr_desktop.core.plot_export import ExportSpec

    service = parts.window.plots.service
    medians: dict[str, float] = {}
    firsts: dict[str, float] = {}
    sizes: dict[str, int] = {}
    for fmt in FORMATS:
        times: list[float] = []
        for _ in range(runs):
            waiter, result = Waiter(), {}
            t0 = time.perf_counter()
            request = service.render(ExportSpec(fmt, 10.0, 7.5, 200))
            request.sig_finished.connect(lambda data, r=result, w=waiter: (r.setdefault("data", data), w.done()))
            request.sig_failed.connect(lambda err, r=result, w=waiter: (r.setdefault("error", err), w.done()))
            waiter.wait(60, f"{fmt} export")
            if "error" in result:
                raise RuntimeError(f"{fmt} export failed: {result['error']}")
            times.append((time.perf_counter() - t0) * 1000.0)
            sizes[fmt] = len(result["data"])
        firsts[fmt] = rnd(times[0])
        medians[fmt] = rnd(median(times[1:] if len(times) > 1 else times))
    return medians, firsts, sizes


def measure_bare(runs: int, width: int, height: int) -> list[float]:
    with bare_page() as page:
        device = f"function(...) webr::canvas(width = {width}, height = {height}, bg = 'white')"
        page.request("eval", f"{{ options(device = {device}); 0 }}", 30)
        times = []
        for i in range(runs + 3):
            ms, _, _ = page.request("flood", "plot(1:10)", 30)
            if i >= 3:
                times.append(ms)
            pause(50)
        return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--export-runs", type=int, default=5)
    parser.add_argument("--trace", action="store_true",
                        help="after the timed runs, as many traced ones: each hop's time (bench/_trace.py)")
    add_load_argument(parser)
    args = parser.parse_args()
    private_env()
    app = init_qt()
    result: dict = {"benchmark": "plots", "load": args.load, "runs": args.runs}
    try:
        with cpu_load(args.load):
            parts = build_app()
            wait_first_prompt(parts)
            pause(300)
            pane_times = measure_pane(parts, args.runs)
            if args.trace:
                from _trace import Tracer

                tracer = Tracer(parts)
                traced_times = measure_pane(parts, args.runs, tracer)
                tracer.close()
                result["trace"] = {"plot_to_pane_ms_traced": rnd(median(traced_times)), **tracer.summary()}
            size = parts.window.plots.pane.canvas.size()
            export_ms, export_first_ms, export_bytes = measure_exports(parts, args.export_runs)
            parts.close()
            bare_times = measure_bare(args.runs, size.width(), size.height())
            result.update(
                plot_to_pane_ms=rnd(median(pane_times)),
                plot_to_pane_max_ms=rnd(max(pane_times)),
                bare_plot_ms=rnd(median(bare_times)),
                plot_ratio=rnd(median(pane_times) / median(bare_times)),
                pane_px=[size.width(), size.height()],
                export_px=[2000, 1500],
                export_ms=export_ms,
                export_first_ms=export_first_ms,
                export_bytes=export_bytes,
            )
    except Exception as exc:  # noqa: BLE001 - the JSON says what failed
        traceback.print_exc()
        result["error"] = str(exc)
    emit_json(result)
    del app
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
