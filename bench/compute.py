"""Compute benchmark: R's own speed in the app against its limits; prints one JSON object.

One fixed workload (bench/compute.R: a 5e6-iteration scalar loop, fib(23), 20 vectorised ops
on 1e6 doubles, a 500 x 500 matrix product, 20 lm() fits, sorting 2e6 doubles, building and
summarising a 1e6-row data frame), each task timed inside R (system.time() elapsed), in:

  app     the IDE built as `webr-desktop` builds it (hidden QtWebEngine page, webR's worker),
          each task typed into the real console (`.wd_compute$run("loop")`), as a user would;
  node    raw webR 0.6.0 under Node (bench/compute_node.mjs), the same wasm/dist, same console
          path (writeConsole -> prompt), nothing of ours;
  bare    raw webR in a bare page of the same QtWebEngine (bench/bare/, no app code), the task
          run through webR.evalRNumber(): the engine's own speed, to tell ours from Chromium's;
  native  Rscript, when it is on PATH (else "native": null and "native_skipped" says why).

tasks.<t>.app_s / node_s / native_s = median over --reps (default 5) of R's elapsed seconds
          (after one warm-up round, reported as first_app_s / first_node_s: tier-up shows there);
tasks.<t>.ratio_node = app_s / node_s (goal <= 1.1), ratio_native = app_s / native_s,
          ratio_bare = app_s / bare_s (what our page adds over the same engine).
app, bare page and Node stay up for the whole run and take turns task by task (the order
alternates), because the machine is noisy.

Usage: .venv/bin/python bench/compute.py [--reps N] [--tasks a,b] [--node-arg=--flag ...] [--load N]
V8 flags for the app's page: QTWEBENGINE_CHROMIUM_FLAGS="--js-flags=..." (they reach the bare
page and the app alike, see webr_desktop/runtime/engine.py); for Node: --node-arg.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH_DIR,
    BarePage,
    BareServer,
    ROOT,
    WEBR_DIST,
    Waiter,
    add_load_argument,
    build_app,
    cpu_load,
    emit_json,
    init_qt,
    median,
    pause,
    private_env,
    rnd,
    wait_first_prompt,
)

WORKLOAD = BENCH_DIR / "compute.R"
NODE_RUNNER = BENCH_DIR / "compute_node.mjs"
TASKS = ("loop", "fib", "vector", "matmul", "lm", "sort", "dataframe")
TASK_TIMEOUT_S = 300.0
GOAL = 1.1
SETTLE_MS = 300  # after a prompt: the app's post-command refreshes (environment, plots) run


def parse_line(lines: list[str], task: str) -> float:
    """R's 'wd-compute <task> <seconds>' line among the output lines."""
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "wd-compute" and parts[1] == task:
            return float(parts[2])
    raise RuntimeError(f"no timing for {task!r} in the output: {lines[-5:]!r}")


def about_line(lines: list[str]) -> str:
    return next((ln.split(" ", 1)[1] for ln in lines if ln.startswith("wd-compute-about ")), "?")


class AppConsole:
    """The real IDE: commands go through the console pane, R's stdout lines are collected."""

    def __init__(self) -> None:
        self.parts = build_app()
        wait_first_prompt(self.parts)
        session = self.parts.services.session
        self.lines: list[str] = []
        session.sig_output_received.connect(self._on_output)
        self._prompted = Waiter()
        session.sig_prompt_shown.connect(self._prompted.done)
        request = session.eval(WORKLOAD.read_text(encoding="utf-8") + "\n0")
        loaded = Waiter()
        request.sig_finished.connect(loaded.done)
        request.sig_failed.connect(lambda error: print(f"compute.R failed: {error}", file=sys.stderr))
        loaded.wait(60, "bench/compute.R evaluated in the app")
        pause(SETTLE_MS)

    def _on_output(self, chunk: list[tuple[str, str]]) -> None:
        self.lines.extend(text for stream, text in chunk if stream == "stdout")

    def command(self, code: str) -> tuple[list[str], float]:
        """Submit ``code`` in the console; (stdout lines, ms from submit to R's next prompt)."""
        self.lines = []
        self._prompted.reset()
        t0 = time.perf_counter()
        self.parts.console.submit(code)
        self._prompted.wait(TASK_TIMEOUT_S, f"the app's prompt after {code}")
        wall = (time.perf_counter() - t0) * 1000.0
        pause(SETTLE_MS)
        return list(self.lines), wall

    def close(self) -> None:
        self.parts.close()


class NodeConsole:
    """bench/compute_node.mjs: raw webR under Node, a console over stdio."""

    def __init__(self, node_args: list[str]) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH (the baseline needs it)")
        self.proc = subprocess.Popen(
            [node, *node_args, str(NODE_RUNNER), str(WEBR_DIST), str(WORKLOAD)], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self._until_prompt()

    def _until_prompt(self) -> list[str]:
        assert self.proc.stdout is not None
        lines: list[str] = []
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line == "wd-prompt":
                return lines
            lines.append(line)
        raise RuntimeError(f"the Node runner ended (exit {self.proc.wait()})")

    def command(self, code: str) -> tuple[list[str], float]:
        assert self.proc.stdin is not None
        t0 = time.perf_counter()
        self.proc.stdin.write(code + "\n")
        self.proc.stdin.flush()
        lines = self._until_prompt()
        return lines, (time.perf_counter() - t0) * 1000.0

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class BareConsole:
    """A bare webR page in the same engine; each task through its 'eval' op (evalRNumber)."""

    def __init__(self) -> None:
        self.server = BareServer().start()
        self.page = BarePage(self.server.url())
        self.page.wait_ready()
        self.page.request("eval", WORKLOAD.read_text(encoding="utf-8") + "\n0", 60)

    def run(self, task: str) -> tuple[float, float]:
        """(R's elapsed seconds, ms from the request to the reply in Python)."""
        wall, seconds, _js_ms = self.page.request("eval", f'.wd_compute$run("{task}")', TASK_TIMEOUT_S)
        return seconds, wall

    def close(self) -> None:
        self.page.close()
        self.server.close()


def run_native(tasks: list[str], reps: int) -> tuple[dict[str, list[float]], str]:
    """Every task ``reps`` + 1 times in one Rscript (the first round is the warm-up)."""
    rscript = shutil.which("Rscript")
    assert rscript is not None
    names = ", ".join(f'"{t}"' for t in tasks)
    code = (f'source("{WORKLOAD.as_posix()}"); .wd_compute$about(); '
            f"for (r in 0:{reps}) for (t in c({names})) .wd_compute$run(t)")
    out = subprocess.run([rscript, "-e", code], capture_output=True, text=True, timeout=3600, check=True)
    lines = out.stdout.splitlines()
    times: dict[str, list[float]] = {t: [] for t in tasks}
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "wd-compute":
            times[parts[1]].append(float(parts[2]))
    return {t: v[1:] for t, v in times.items()}, about_line(lines)


def measure(tasks: list[str], reps: int, node_args: list[str]) -> dict[str, Any]:
    app = AppConsole()
    node = NodeConsole(node_args)
    bare = BareConsole()
    try:
        about = {"app": about_line(app.command(".wd_compute$about()")[0]),
                 "node": about_line(node.command(".wd_compute$about()")[0])}
        kinds = ("app", "node", "bare")
        times = {t: {key: [] for k in kinds for key in (k, f"{k}_wall")} for t in tasks}
        first: dict[str, dict[str, float]] = {t: {} for t in tasks}
        for rnd_no in range(reps + 1):  # round 0: warm-up
            for task in tasks:
                order = ["app", "node", "bare"]
                for kind in order if rnd_no % 2 == 0 else reversed(order):
                    if kind == "bare":
                        seconds, wall = bare.run(task)
                    else:
                        lines, wall = (app if kind == "app" else node).command(f'.wd_compute$run("{task}")')
                        seconds = parse_line(lines, task)
                    print(f"round {rnd_no} {task} {kind} {seconds:.3f} s (wall {wall:.0f} ms)", file=sys.stderr)
                    if rnd_no == 0:
                        first[task][kind] = seconds
                    else:
                        times[task][kind].append(seconds)
                        times[task][f"{kind}_wall"].append(wall)
    finally:
        bare.close()
        node.close()
        app.close()
    result: dict[str, Any] = {"about": about, "tasks": {}}
    for task in tasks:
        t = times[task]
        app_s, node_s, bare_s = median(t["app"]), median(t["node"]), median(t["bare"])
        result["tasks"][task] = {
            "app_s": rnd(app_s, 4), "node_s": rnd(node_s, 4), "bare_s": rnd(bare_s, 4),
            "ratio_node": rnd(app_s / node_s, 3) if node_s > 0 else None,
            "ratio_bare": rnd(app_s / bare_s, 3) if bare_s > 0 else None,
            "first_app_s": rnd(first[task]["app"], 4), "first_node_s": rnd(first[task]["node"], 4),
            "first_bare_s": rnd(first[task]["bare"], 4),
            "app_wall_ms": rnd(median(t["app_wall"]), 1), "node_wall_ms": rnd(median(t["node_wall"]), 1),
            "bare_wall_ms": rnd(median(t["bare_wall"]), 1),
            **{f"{k}_runs_s": [rnd(v, 4) for v in t[k]] for k in kinds},
        }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="timed rounds after the warm-up (default 5)")
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated subset of {','.join(TASKS)}")
    parser.add_argument("--node-arg", action="append", default=[], metavar="FLAG",
                        help="a flag for node (e.g. --node-arg=--no-liftoff); repeatable")
    add_load_argument(parser)
    args = parser.parse_args()
    tasks = [t for t in args.tasks.split(",") if t]
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        parser.error(f"unknown tasks: {', '.join(unknown)}")
    private_env()
    qt_app = init_qt()
    result: dict[str, Any] = {
        "benchmark": "compute", "load": args.load, "reps": args.reps, "goal_ratio_node": GOAL,
        "js_flags": [f for f in os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split() if f.startswith("--js-flags")],
        "node_args": args.node_arg,
    }
    try:
        with cpu_load(args.load):
            result.update(measure(tasks, args.reps, args.node_arg))
            if shutil.which("Rscript"):
                native, native_about = run_native(tasks, args.reps)
                result["about"]["native"] = native_about
                for task in tasks:
                    entry = result["tasks"][task]
                    entry["native_s"] = rnd(median(native[task]), 4)
                    entry["ratio_native"] = rnd(entry["app_s"] / entry["native_s"], 3) if entry["native_s"] else None
            else:
                result["native"] = None
                result["native_skipped"] = "Rscript is not on PATH"
        ratios = [e["ratio_node"] for e in result["tasks"].values() if e["ratio_node"] is not None]
        result["ratio_node_max"] = max(ratios)
        result["goal_met"] = all(r <= GOAL for r in ratios)
    except Exception as exc:  # noqa: BLE001 - the JSON says what failed
        traceback.print_exc()
        result["error"] = str(exc)
    emit_json(result)
    del qt_app
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
