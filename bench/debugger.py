"""Debugger benchmark; prints one JSON object.

step_ms       = median over >= 30 presses of Next (F10's action) while R browses a loop in a
                sourced project file: the action is triggered -> R runs `n` -> Browse prompt ->
                one .wd.debug_state() eval (location + stack + frame variables as one JSON) ->
                the editor's marked line and the Environment pane's rows are updated -> the
                editor's next paint (the new line drawn). Goal < 50.
step_p90_ms   = its 90th percentile.
enter_ms      = median over 10 calls of a function with a setBreakpoint() breakpoint: the
                console line is submitted -> debug mode shown (toolbar, stack, variables,
                the file's line marked and painted). Each run ends with Stop (Q). Goal < 150.
state_r_ms    = R's own time for one .wd.debug_state() at that breakpoint (mean of 50 in one
                eval): the R share of a step.

Usage: .venv/bin/python bench/debugger.py [--steps N] [--load N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    AppParts,
    add_load_argument,
    cpu_load,
    emit_json,
    init_qt,
    make_paint_probe,
    median,
    percentile,
    private_env,
    rnd,
    wait_first_prompt,
    wait_until,
)

SCRIPT = """walk <- function(n) {
  total <- 0
  for (i in seq_len(n)) {
    total <- total + i
    twice <- i * 2
  }
  total
}
"""
BREAK_LINE = 4  # total <- total + i


def r_value(session: Any, code: str, timeout_s: float = 60) -> object:
    request = session.eval(code)
    result: dict = {}
    request.sig_finished.connect(lambda v: result.setdefault("value", v))
    request.sig_failed.connect(lambda e: result.setdefault("error", e))
    wait_until(lambda: bool(result), timeout_s, code[:60])
    if "error" in result:
        raise RuntimeError(result["error"])
    return result["value"]


def timed_show(window: Any, start: Any, done: Any) -> float:
    """ms from ``start()`` until ``done()`` holds and the editor then painted."""
    hit: list[float] = []
    probe = None

    def arm() -> None:
        nonlocal probe
        editor = window.editor.current_editor()
        probe = make_paint_probe(editor.viewport(), lambda _e: True, hit.append)
        probe.armed = True
        editor.viewport().update()

    t0 = time.perf_counter()
    start()
    try:
        wait_until(done, 30, "the debugger's state", step_ms=1)
    except TimeoutError:
        d = window.debug.debugger
        raise TimeoutError(f"not shown: active={d.active} at={window.debug_location.last_line} frames={d.frames} "
                           f"vars={window.environment_service.model.names()}") from None
    arm()
    wait_until(lambda: bool(hit), 10, "the editor's paint", step_ms=1)
    window.editor.current_editor().viewport().removeEventFilter(probe)
    return (hit[0] - t0) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    add_load_argument(parser)
    args = parser.parse_args()
    private_env()
    app = init_qt()
    result: dict[str, Any] = {"benchmark": "debugger", "load": args.load, "steps": args.steps}
    folder = Path(tempfile.mkdtemp(prefix="wd-bench-dbg-"))
    parts = None
    try:
        script = folder / "walk.R"
        script.write_text(SCRIPT, encoding="utf-8")
        from PySide6.QtCore import QSettings

        from webr_desktop.app import open_ide
        from webr_desktop.core.rcode import r_string
        from webr_desktop.core.runtime_assets import check_runtime
        from webr_desktop.runtime.session import SessionState

        services, window, console = open_ide(check_runtime(), QSettings(), script)
        parts = AppParts(services=services, window=window, console=console)
        wait_first_prompt(parts)
        session = services.session
        debugger = window.debug.debugger
        path = str(script.resolve())

        def idle() -> bool:
            return session.state is SessionState.IDLE

        console.submit(f"source({r_string(path)}); invisible(setBreakpoint({r_string(path)}, {BREAK_LINE}))")
        wait_until(lambda: idle() and session.prompt == "> ", 30, "source")
        with cpu_load(args.load):
            enters = []
            for _ in range(10):
                wait_until(lambda: idle() and not debugger.active and session.prompt == "> ", 30, "a normal prompt")
                enters.append(timed_show(
                    window, lambda: console.submit("walk(100)"),
                    lambda: debugger.active and window.debug_location.last_line == (path, BREAK_LINE)
                    and "total" in window.environment_service.model.names(),
                ))
                state_ms = r_value(session, "local({ t0 <- proc.time()[[3L]]; for (k in 1:50) .wd.debug_state(); "
                                            "20 * (proc.time()[[3L]] - t0) })")
                debugger.stop()
            wait_until(lambda: idle() and not debugger.active, 30, "stop")
            console.submit("debugonce(walk); walk(1000)")
            wait_until(lambda: debugger.active and idle(), 30, "debugonce")
            steps = []
            for _ in range(args.steps):
                wait_until(idle, 30, "the browse prompt")
                shown = debugger.states_shown
                steps.append(timed_show(window, debugger.next, lambda s=shown: debugger.states_shown > s))
            debugger.stop()
            wait_until(lambda: idle() and not debugger.active, 30, "stop")
        result.update(
            step_ms=rnd(median(steps)), step_p90_ms=rnd(percentile(steps, 90)),
            enter_ms=rnd(median(enters)), enter_p90_ms=rnd(percentile(enters, 90)),
            state_r_ms=rnd(float(state_ms), 3),
            goals={"step_ms": 50, "enter_ms": 150},
        )
    except Exception as exc:  # noqa: BLE001 - the JSON says what failed
        traceback.print_exc()
        result["error"] = str(exc)
    finally:
        if parts is not None:
            for e in parts.window.editor.editors():
                e.document().setModified(False)
            parts.close()
        shutil.rmtree(folder, ignore_errors=True)
    emit_json(result)
    del app
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
