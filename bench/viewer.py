"""Viewer benchmark; prints one JSON object.

viewer_first_paint_ms = median over runs of: `getOption("viewer")(page)` typed at the real
                        console -> the page's first animation frame after load (the page sets
                        a flag in requestAnimationFrame; polled every 5 ms), for a 2 MB widget
                        page with 10 dependency files that R wrote into tempdir().
viewer_load_ms        = the same up to QWebEnginePage.loadFinished.
bundle_publish_ms     = of that, up to the page unpacked on the Viewer's site (R's tar of the
                        folder, its transfer as a blob, the unpack).
Goal: viewer_first_paint_ms < 500.

Usage: .venv/bin/python bench/viewer.py [--runs N] [--load N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Waiter,
    add_load_argument,
    cpu_load,
    build_app,
    emit_json,
    init_qt,
    median,
    pause,
    private_env,
    rnd,
    wait_first_prompt,
)

PAGE_R = Path(__file__).resolve().parent / "viewer_page.R"


def js_value(view: Any, code: str) -> Any:
    box: list = []
    view.page().runJavaScript(code, 0, box.append)
    deadline = time.monotonic() + 10
    while not box:
        if time.monotonic() > deadline:
            raise TimeoutError("runJavaScript did not answer")
        pause(1)
    return box[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    add_load_argument(parser)
    args = parser.parse_args()
    private_env()
    init_qt()
    with cpu_load(args.load):
        measure(args)


def measure(args: argparse.Namespace) -> None:
    parts = build_app()
    result: dict[str, Any] = {"benchmark": "viewer", "load": args.load, "runs": args.runs}
    try:
        wait_first_prompt(parts)
        parts.window.resize(1400, 900)
        pane = parts.window.viewer
        ready = Waiter()
        defined = Waiter()  # .bench_page(folder) writes one page into tempdir()
        request = parts.services.session.eval(PAGE_R.read_text(encoding="utf-8") + "\nNULL")
        request.sig_finished.connect(defined.done)
        request.sig_failed.connect(lambda error: print(f"R: {error}", file=sys.stderr))
        defined.wait(60, "the page writer")
        loads, paints, publishes = [], [], []
        published: list[float] = []
        site_publish = pane.site.publish

        def timed_publish(data: bytes, entry: str) -> Any:  # the wiring looks it up per page
            page = site_publish(data, entry)
            published.append(time.perf_counter())
            return page

        pane.site.publish = timed_publish
        for run in range(args.runs + 1):  # the first run warms up fonts and the view
            folder = "viewer_bench_%d" % run
            parts.console.submit(f'.bench_page("{folder}")')
            wait_idle(parts)
            ready.reset()
            pane.sig_page_loaded.connect(ready.done)
            t0 = time.perf_counter()
            parts.console.submit(f'getOption("viewer")(file.path(tempdir(), "{folder}", "index.html"))')
            ready.wait(60, "the page to load")
            t_load = time.perf_counter()
            pane.sig_page_loaded.disconnect(ready.done)
            while not js_value(pane.view, "window.__painted === true"):
                pause(5)
            t_paint = time.perf_counter()
            if run:
                loads.append((t_load - t0) * 1000)
                paints.append((t_paint - t0) * 1000)
                publishes.append((published[-1] - t0) * 1000)
        result.update(
            viewer_first_paint_ms=rnd(median(paints), 1), viewer_load_ms=rnd(median(loads), 1),
            bundle_publish_ms=rnd(median(publishes), 1), page_mb=2.0, dependency_files=10,
            goals_met={"viewer_first_paint_ms<500": median(paints) < 500},
        )
    finally:
        parts.close()
    emit_json(result)


def wait_idle(parts: Any) -> None:
    from webr_desktop.runtime.session import SessionState

    session = parts.services.session
    pause(20)
    deadline = time.monotonic() + 60
    while session.state is not SessionState.IDLE:
        if time.monotonic() > deadline:
            raise TimeoutError("R stayed busy")
        pause(5)


if __name__ == "__main__":
    main()
