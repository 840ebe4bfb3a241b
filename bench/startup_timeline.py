"""One traced app start, run as a subprocess by ``startup.py --trace``; prints one JSON object.

``marks``: ms after process start at each step of the start-up path: the QApplication, the
page's load() call, the loopback server answering the page, webR's worker asking for R.wasm, the
window built, webR ready (bridge), the first prompt on screen, R's answer to a first command.
``r_evals_ms``: R's own time for each eval the app sends at R start (in the order R ran them),
from a timestamp each one records in R before it runs (the next one's start ends it): which of
them a user's first command waits behind. Wrapping costs microseconds; the figures are one run.

Usage: .venv/bin/python bench/startup_timeline.py [--inherit-home]  (default: a private HOME)
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Waiter, build_app, init_qt, private_env, wait_until  # noqa: E402

marks: dict[str, float] = {}
labels: dict[int, str] = {}


def mark(name: str) -> None:
    marks.setdefault(name, round((time.perf_counter() - T0) * 1000, 1))


class _ServerLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "/page/index.html" in message:
            mark("server: page requested")
        elif "/webr/R.wasm" in message:
            mark("server: R.wasm requested")


def _eval_r(session, code: str) -> object:
    waiter, out = Waiter(), {}
    request = session.eval(code)
    request.sig_finished.connect(lambda v: (out.setdefault("v", v), waiter.done()))
    request.sig_failed.connect(lambda e: (out.setdefault("v", f"failed: {e}"), waiter.done()))
    waiter.wait(90, code[:40])
    return out["v"]


def main() -> int:
    if "--inherit-home" not in sys.argv:  # startup.py passes its warm or a fresh cold HOME
        private_env()
    server_log = logging.getLogger("webr_desktop.server.local_server")
    server_log.setLevel(logging.DEBUG)
    server_log.addHandler(_ServerLog())
    init_qt()
    mark("QApplication")
    from webr_desktop.runtime import bridge, page

    load, send = page.RuntimePage.load, bridge.Bridge.send

    def traced_load(self) -> None:
        mark("page.load()")
        load(self)

    def traced_send(self, op: str, **fields: object) -> None:
        code = fields.get("code")
        if op == "eval" and isinstance(code, str) and isinstance(fields.get("id"), int):
            labels[fields["id"]] = code[:60].replace("\n", " ")
            fields["code"] = f"assign('.wd_bench_t{fields['id']}', proc.time()[[3]], globalenv())\n{code}"
        send(self, op, **fields)

    page.RuntimePage.load = traced_load
    bridge.Bridge.send = traced_send
    parts = build_app()
    mark("window built")
    session = parts.services.session
    session.sig_started.connect(lambda _ready: mark("webR ready"))
    parts.console.sig_prompt_displayed.connect(lambda _prompt: mark("first prompt shown"))
    wait_until(lambda: "first prompt shown" in marks, 90, "the first prompt")
    _eval_r(session, "assign('.wd_bench_tend', proc.time()[[3]], globalenv()); 0")
    mark("first command answered")
    times = _eval_r(session, "local({n <- ls(globalenv(), all.names = TRUE, pattern = '^[.]wd_bench_t'); "
                             "as.list(sapply(n, get, envir = globalenv()))})")
    evals = []
    if isinstance(times, dict):
        ordered = sorted((t, name) for name, t in times.items() if isinstance(t, (int, float)))
        for (t, name), (t_next, _) in zip(ordered, ordered[1:]):
            key = name.removeprefix(".wd_bench_t")
            evals.append([labels.get(int(key), key) if key.isdigit() else key, round((t_next - t) * 1000)])
    parts.close()
    print(json.dumps({"marks": marks, "r_evals_ms": evals}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
