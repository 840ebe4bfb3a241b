"""Plot-heavy code on the Plots pane's canvas device: time and memory; prints one JSON object.

points_800_s       = median over runs of: `for (i in 1:800) points(runif(1), runif(1))` on a
                     fresh `plot(0:1, 0:1, type = "n")` page, submitted in the real console ->
                     R's next prompt (R drew every call on webR's canvas device as mended by
                     resources/worker/canvas_mend.js; the pane has the finished page by then).
png_device_s       = median of the same in the same R session on R's own png() device (2x the
                     pane's size at res 144, as the canvas draws), dev.off() included: the baseline.
ratio              = points_800_s / png_device_s (goal: <= 1.5, issue 19 item 10).
points_800_r_s, png_device_r_s, r_ratio = the same loops timed inside R (system.time): the
                     drawing alone, without the console round trip and the pane's update.
pane_update_s      = median of one points() call submitted -> the prompt: the fixed cost of a
                     command that changes the pane (the page encodes a PNG before the prompt).
idle_rss_mb        = RSS of the whole app (this process and every QtWebEngine process) at the
                     prompt before the runs; peak_rss_mb = its peak, sampled every 50 ms, during
                     the canvas runs; after_rss_mb = at the prompt after them (goal: < 1500).
hcl_demo_s, hcl_peak_rss_mb = demo(hclColors) in the console -> the prompt, and the peak RSS
                     meanwhile (16 GB before the mend: the renderer was killed).
bare_*             = raw webR in a bare page of the same engine (webR's own canvas device,
                     nothing of ours; its ImageBitmaps are read in JS): bare_points_s for
                     --bare-calls points() calls (default 100; 800 would take ~2.5 GB) and
                     bare_rss_growth_mb_per_call, the stock leak the mend removes.

Usage: .venv/bin/python bench/canvas.py [--runs N] [--no-demo] [--bare-calls N] [--load N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_load_argument,
    bare_page,
    build_app,
    cpu_load,
    emit_json,
    init_qt,
    median,
    pause,
    private_env,
    rnd,
    wait_first_prompt,
    wait_until,
)

POINTS = "for (i in 1:800) points(runif(1), runif(1))"


def tree_rss_mb() -> float:
    """RSS of this process and all its descendants (QtWebEngine zygotes and renderers)."""
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            kids.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(name))
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def submit_and_wait(parts, code: str, timeout_s: float, peak: list[float]) -> float:
    """Seconds from the console submit to R's next prompt; ``peak[0]`` keeps the peak RSS."""
    from webr_desktop.runtime.session import SessionState

    session = parts.services.session
    prompts: list[float] = []

    def on_prompt(_prompt: str) -> None:
        prompts.append(time.perf_counter())

    session.sig_prompt_shown.connect(on_prompt)
    t0 = time.perf_counter()
    parts.console.submit(code)

    def done() -> bool:
        peak[0] = max(peak[0], tree_rss_mb())
        return bool(prompts) and session.state is SessionState.IDLE

    try:
        wait_until(done, timeout_s, code[:40], step_ms=50)
    finally:
        session.sig_prompt_shown.disconnect(on_prompt)
    return prompts[0] - t0


def r_value(parts, code: str) -> float:
    """The number R gives for ``code`` (an app eval, not the console)."""
    from _common import Waiter

    waiter, got = Waiter(), {}
    request = parts.services.session.eval(code)
    request.sig_finished.connect(lambda v: (got.setdefault("v", v), waiter.done()))
    request.sig_failed.connect(lambda e: (got.setdefault("e", e), waiter.done()))
    waiter.wait(60, code)
    if "e" in got:
        raise RuntimeError(f"{code}: {got['e']}")
    return float(got["v"])


def measure_app(runs: int, demo: bool) -> dict:
    parts = build_app()
    try:
        wait_first_prompt(parts)
        size = parts.window.plots.pane.canvas.size()
        w, h = 2 * size.width(), 2 * size.height()
        peak = [0.0]
        # Warm-ups: the canvas device's first page, png()'s fonts.
        submit_and_wait(parts, "plot(1)", 60, peak)
        png = f"png(tempfile(), width = {w}, height = {h}, res = 144); plot(0:1, 0:1, type = 'n'); "
        submit_and_wait(parts, png + "points(1, 1); invisible(dev.off())", 60, peak)
        pause(300)
        idle = tree_rss_mb()
        peak = [idle]
        timed = f"bench_s <- system.time({POINTS})[[3]]"
        canvas_s, png_s, canvas_r, png_r, update_s = [], [], [], [], []
        for _ in range(runs):
            submit_and_wait(parts, "plot(0:1, 0:1, type = 'n')", 60, peak)
            update_s.append(submit_and_wait(parts, "points(0.5, 0.5)", 60, peak))
            canvas_s.append(submit_and_wait(parts, timed, 600, peak))
            canvas_r.append(r_value(parts, "bench_s"))
            png_s.append(submit_and_wait(parts, png + timed + "; invisible(dev.off())", 600, [0.0]))
            png_r.append(r_value(parts, "bench_s"))
        pause(500)
        out = {
            "points_800_s": rnd(median(canvas_s), 3),
            "png_device_s": rnd(median(png_s), 3),
            "ratio": rnd(median(canvas_s) / median(png_s)),
            "points_800_r_s": rnd(median(canvas_r), 3),
            "png_device_r_s": rnd(median(png_r), 3),
            "r_ratio": rnd(median(canvas_r) / median(png_r)),
            "pane_update_s": rnd(median(update_s), 3),
            "idle_rss_mb": rnd(idle, 0),
            "peak_rss_mb": rnd(peak[0], 0),
            "after_rss_mb": rnd(tree_rss_mb(), 0),
            "pane_px": [size.width(), size.height()],
        }
        if demo:
            peak = [tree_rss_mb()]
            out["hcl_demo_s"] = rnd(submit_and_wait(parts, "demo(hclColors, ask = FALSE)", 900, peak))
            out["hcl_peak_rss_mb"] = rnd(peak[0], 0)
        return out
    finally:
        parts.close()


def measure_bare(calls: int, width: int, height: int) -> dict:
    with bare_page() as page:
        device = f"function(...) webr::canvas(width = {width}, height = {height}, bg = 'white')"
        page.request("eval", f"{{ options(device = {device}); 0 }}", 30)
        page.request("flood", "plot(0:1, 0:1, type = 'n')", 60)
        pause(500)
        before = tree_rss_mb()
        ms, _, _ = page.request("flood", f"for (i in 1:{calls}) points(runif(1), runif(1))", 600)
        pause(500)
        grown = tree_rss_mb() - before
        return {
            "bare_calls": calls,
            "bare_points_s": rnd(ms / 1000, 3),
            "bare_rss_growth_mb": rnd(grown, 0),
            "bare_rss_growth_mb_per_call": rnd(grown / calls, 2),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-demo", action="store_true", help="skip demo(hclColors)")
    parser.add_argument("--bare-calls", type=int, default=100)
    add_load_argument(parser)
    args = parser.parse_args()
    private_env()
    app = init_qt()
    result: dict = {"benchmark": "canvas", "load": args.load, "runs": args.runs}
    try:
        with cpu_load(args.load):
            result.update(measure_app(args.runs, not args.no_demo))
            pause(2000)  # the app's processes are gone
            w, h = result["pane_px"]
            if args.bare_calls > 0:
                result.update(measure_bare(args.bare_calls, w, h))
    except Exception as exc:  # noqa: BLE001 - the JSON says what failed
        traceback.print_exc()
        result["error"] = str(exc)
    emit_json(result)
    del app
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
