"""``--trace``: a timestamp at every hop of a console command or a plot, Python and page alike.

Why: a ratio says *that* our path is slower than raw webR under load, not *where*. The tracer
wraps, for the benchmark only, the functions each hop passes through:

- Python: ``Bridge.send`` (a command leaves for the page), ``parse_payload`` (the first thing
  ``Bridge.deliver`` does: a batch arrived from the page), ``PlotService._on_plot`` (base64
  decode + history), ``plots_pane.entry_pixmap`` (PNG decode), the session's output signal,
  and the paint probes the benchmarks already have;
- the page: bench/trace_hooks.js wraps ``WebR.writeConsole``/``read`` (worker -> page) and the
  page's ``PlotCompositor`` and ``OutputPump`` methods.

All times are epoch milliseconds (JS ``performance.timeOrigin + now()``, Python ``time.time()``),
reported as milliseconds after the submit of each run; the medians over runs go in the JSON.
Wrapping costs a few microseconds a hop; the page's timestamps are collected once, at the end.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, median, percentile, rnd, wait_until

HOOKS_JS = BENCH_DIR / "trace_hooks.js"
# Stages whose detail says which of several kinds it is: named "stage[detail]" in the summary.
_NAMED_BY_DETAIL = {"py.bridge.send", "py.bridge.deliver", "page.deliver", "page.read.canvas"}
_OFFSET_S = time.time() - time.perf_counter()  # perf_counter -> epoch seconds


def epoch_ms(t_perf: float) -> float:
    return (t_perf + _OFFSET_S) * 1000.0


def _payload_kind(text: str, *_args: Any) -> str:
    """'messages:plot', 'reply', ...: the payload's kind and first message type, read from its
    first bytes (the page writes "kind" first), without parsing a 40 KB PNG payload again."""
    head = text[:120]
    kind = head.split('"kind":"', 1)[-1].split('"', 1)[0] if '"kind":"' in head else "?"
    if kind == "messages" and '"type":"' in head:
        kind += ":" + head.split('"type":"', 1)[1].split('"', 1)[0]
    return kind


class Tracer:
    """Collects (stage, epoch ms, detail) events for one run at a time; see the module doc."""

    def __init__(self, parts: Any) -> None:
        self._page = parts.services.session._page._page  # the runtime QWebEnginePage
        self.events: list[tuple[str, float, str]] = []
        self.runs: list[list[tuple[str, float, str]]] = []
        self._windows: list[tuple[float, float]] = []  # (begin, end) epoch ms of each run
        self._t_begin = 0.0
        self._restore: list[Callable[[], None]] = []
        self._patch_python(parts)
        self._install_js()

    # ------------------------------------------------------------------ set-up
    def mark(self, stage: str, detail: str = "", t_perf: float | None = None) -> None:
        t = time.perf_counter() if t_perf is None else t_perf
        self.events.append((stage, epoch_ms(t), detail))

    def _wrap(self, owner: Any, name: str, before: str | None, after: str | None,
              detail: Callable[..., str] = lambda *a, **k: "") -> None:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if before:
                self.mark(before, detail(*args, **kwargs))
            try:
                return original(*args, **kwargs)
            finally:
                if after:
                    self.mark(after)

        setattr(owner, name, wrapper)
        self._restore.append(lambda: setattr(owner, name, original))

    def _patch_python(self, parts: Any) -> None:
        from webr_desktop.models import plot_service
        from webr_desktop.runtime import bridge
        from webr_desktop.ui.plots import plots_pane

        self._wrap(bridge.Bridge, "send", "py.bridge.send", None, lambda _self, op, **_k: op)
        self._wrap(bridge, "parse_payload", "py.bridge.deliver", None, _payload_kind)
        self._wrap(plot_service.PlotService, "_on_plot", "py.plot.received", "py.plot.handled")
        self._wrap(plots_pane, "entry_pixmap", "py.png.decode_start", "py.png.decoded")
        session = parts.services.session
        on_output = lambda chunk: self.mark("py.session.output", chunk[0][1][:40] if chunk else "")  # noqa: E731
        session.sig_output_received.connect(on_output)
        self._restore.append(lambda: session.sig_output_received.disconnect(on_output))

    def _run_js(self, code: str, timeout_s: float = 30) -> Any:
        box: dict[str, Any] = {}
        self._page.runJavaScript(code, 0, lambda value: box.setdefault("v", value))
        wait_until(lambda: "v" in box, timeout_s, "the page's JavaScript", step_ms=1)
        return box["v"]

    def _install_js(self) -> None:
        self._run_js(Path(HOOKS_JS).read_text(encoding="utf-8") + "; 0")
        wait_until(lambda: self._run_js("window.__wdTraceReady === true"), 30, "the trace hooks")

    def close(self) -> None:
        for undo in reversed(self._restore):
            undo()
        self._restore.clear()

    # ------------------------------------------------------------------ runs
    # The page's timestamps are fetched once, in summary(), and given to the runs by time: a
    # runJavaScript per run kept the renderer from the idle period in which Blink encodes a
    # PNG (see the README), so it changed the very stage it measured.
    def begin(self) -> None:
        """Start a run: Python events from now on belong to it."""
        self.events = []
        self._t_begin = epoch_ms(time.perf_counter())

    def end(self) -> None:
        """End a run: keep its Python events and its time window for the page's events."""
        self.runs.append(list(self.events))
        self._windows.append((self._t_begin, epoch_ms(time.perf_counter())))
        self.events = []

    def _attach_page_events(self) -> None:
        page = json.loads(self._run_js("JSON.stringify(window.__wdTrace.splice(0))"))
        for i, (t_start, t_end) in enumerate(self._windows):
            inside = [(s, float(t), str(d)) for s, t, d in page if t_start <= float(t) <= t_end]
            self.runs[i] = sorted(self.runs[i] + inside, key=lambda e: e[1])
        self._windows = [(0.0, -1.0)] * len(self._windows)  # attached: never again

    def summary(self, origin: str = "py.submit") -> dict[str, Any]:
        """Per stage (the n-th occurrence of a name in a run is ``name#n``): median and p90 ms
        after ``origin``, in the order of the medians, for stages seen in at least half the runs."""
        self._attach_page_events()
        offsets: dict[str, list[float]] = defaultdict(list)
        for run in self.runs:
            t0 = next((t for s, t, _ in run if s == origin), None)
            if t0 is None:
                continue
            seen: dict[str, int] = defaultdict(int)
            for stage, t, detail in run:
                if stage in _NAMED_BY_DETAIL:
                    stage = f"{stage}[{detail}]"
                seen[stage] += 1
                key = stage if seen[stage] == 1 else f"{stage}#{seen[stage]}"
                offsets[key].append(t - t0)
        keep = {k: v for k, v in offsets.items() if len(v) * 2 >= len(self.runs)}
        order = sorted(keep, key=lambda k: median(keep[k]))
        # stage -> [p50, p90] ms after the origin (and how many runs had it, if not all)
        stages = {k: [rnd(median(keep[k])), rnd(percentile(keep[k], 90))]
                  + ([len(keep[k])] if len(keep[k]) < len(self.runs) else []) for k in order}
        return {"runs": len(self.runs), "stages_ms_p50_p90": stages}
