"""Memory benchmark: the app's resident memory, all processes, against the bare page; prints
one JSON object.

Each side runs in its own child process (this script with --child app|bare), so the process
tree measured is that side's alone: the Python GUI process and everything under it (the
QtWebEngineProcess zygotes, renderer, GPU and utility processes, the app's websockify proxy).
Memory is read from /proc (VmRSS, VmHWM in /proc/PID/status), walking the children by ppid.

  idle_mb        = total RSS of the tree at R's first prompt, after 2 s to settle;
  after_mb       = total RSS after `x <- rnorm(5e7)` (a 400 MB vector) and 2 s to settle
                   (the app refreshes its panes after each command; that is part of it);
  peak_mb        = the highest total RSS sampled every 20 ms from before the command to the end;
  hwm_sum_mb     = sum of every process's own peak (VmHWM): an upper bound of peak_mb;
  by_role        = after_mb split by process role (gui, renderer, gpu, utility, zygote, proxy);
  <x>_ratio      = app / bare, median over --reps alternating launches (goal <= 1.2).

Both sides type the command into a console: the app's console pane, and the bare page's
webR.writeConsole (bench/bare/bare.js, op 'flood': read until the next prompt).

Usage: .venv/bin/python bench/memory.py [--reps N] [--load N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    ROOT,
    add_load_argument,
    cpu_load,
    emit_json,
    median,
    pause,
    private_env,
    python_exe,
    rnd,
)

COMMAND = "x <- rnorm(5e7)"
# R's heap in use (gc(), MB) and the size of the wasm memory (MB), the same R call on both sides.
R_PROBE = 'c(sum(gc()[, 2]), webr::eval_js("Module.HEAPU8.length") / 2^20)'

SETTLE_MS = 2000
SAMPLE_MS = 20
CHILD_TIMEOUT_S = 600
GOAL = 1.2
MB = 1024 * 1024


# ----------------------------------------------------------------------------- /proc
def _status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM and Pss of ``pid`` in bytes (Pss -1 if unreadable)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    try:  # PSS shares each shared page out among its users; unreadable for sandboxed processes
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as f:
            out["Pss"] = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith("Pss:"))
    except (OSError, StopIteration):
        out["Pss"] = -1
    return out


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])  # after "(comm) state"
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree(root: int) -> list[tuple[int, int]]:
    """(pid, parent pid) of ``root`` and all its descendants, parents first."""
    kids = _children()
    out, todo = [], [(root, 0)]
    while todo:
        pid, ppid = todo.pop(0)
        out.append((pid, ppid))
        todo.extend((kid, pid) for kid in kids.get(pid, []))
    return out


def role(pid: int, root: int, parent_role: str) -> str:
    """What a process of the tree is. Chromium's renderers (and utility processes) are forked
    from a zygote and keep its command line, so they are named by their parent."""
    if pid == root:
        return "gui"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            text = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return "gone"
    if "websockify" in text or "webr_desktop.net.proxy_main" in text:
        return "proxy"
    if parent_role == "zygote":
        return "renderer"
    for kind in ("renderer", "gpu-process", "utility", "zygote"):
        if f"--type={kind}" in text:
            return kind.replace("-process", "")
    return "other"


def snapshot(root: int) -> dict[str, Any]:
    """Total RSS and per-role RSS of the tree now, and the sum of every process's VmHWM."""
    total = hwm = pss = 0
    by_role: dict[str, int] = {}
    roles: dict[int, str] = {}
    for pid, ppid in tree(root):
        st = _status(pid)
        rss = st.get("VmRSS", 0)
        total += rss
        hwm += st.get("VmHWM", 0)
        pss = -1 if pss < 0 or st.get("Pss", -1) < 0 else pss + st["Pss"]
        name = roles[pid] = role(pid, root, roles.get(ppid, ""))
        by_role[name] = by_role.get(name, 0) + rss
    return {"rss": total, "hwm": hwm, "pss": pss, "by_role": by_role}


# ----------------------------------------------------------------------------- child
class Sampler:
    """Total RSS of this process's tree every SAMPLE_MS on the Qt event loop; keeps the max."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.peak = 0
        self._timer = QTimer()
        self._timer.setInterval(SAMPLE_MS)
        self._timer.timeout.connect(self.sample)
        self._timer.start()

    def sample(self) -> None:
        self.peak = max(self.peak, snapshot(os.getpid())["rss"])

    def stop(self) -> None:
        self._timer.stop()
        self.sample()


def app_probe(parts: Any) -> list[float]:
    from _common import Waiter

    request = parts.services.session.eval(R_PROBE)
    got = Waiter()
    value: list[Any] = []
    request.sig_finished.connect(lambda v: (value.append(v), got.done()))
    request.sig_failed.connect(lambda error: (value.append(error), got.done()))
    got.wait(60, "R's memory figures")
    if not isinstance(value[0], list):
        raise RuntimeError(f"{R_PROBE} failed in the app: {value[0]}")
    return list(value[0])


def child_app() -> dict[str, Any]:
    from _common import Waiter, build_app, wait_first_prompt

    parts = build_app()
    try:
        wait_first_prompt(parts)
        pause(SETTLE_MS)
        idle = snapshot(os.getpid())
        idle["r"] = app_probe(parts)
        prompted = Waiter()
        parts.services.session.sig_prompt_shown.connect(prompted.done)
        sampler = Sampler()
        parts.console.submit(COMMAND)
        prompted.wait(CHILD_TIMEOUT_S, f"the prompt after {COMMAND}")
        pause(SETTLE_MS)
        sampler.stop()
        after = snapshot(os.getpid())
        after["r"] = app_probe(parts)
        return {"idle": idle, "after": after, "peak": sampler.peak}
    finally:
        parts.close()


def child_bare() -> dict[str, Any]:
    from _common import bare_page

    with bare_page() as page:
        pause(SETTLE_MS)
        idle = snapshot(os.getpid())
        idle["r"] = bare_probe(page)
        sampler = Sampler()
        page.request("flood", COMMAND, CHILD_TIMEOUT_S)
        pause(SETTLE_MS)
        sampler.stop()
        after = snapshot(os.getpid())
        after["r"] = bare_probe(page)
        return {"idle": idle, "after": after, "peak": sampler.peak}


def bare_probe(page: Any) -> list[float]:
    """The bare page's 'eval' op answers one number: ask twice."""
    return [page.request("eval", f"{R_PROBE}[{i}]", 60)[1] for i in (1, 2)]


def run_child(kind: str) -> int:
    from _common import init_qt

    app = init_qt()
    try:
        result = child_app() if kind == "app" else child_bare()
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        return 1
    print("wd-memory " + json.dumps(result), flush=True)
    del app
    return 0


# ----------------------------------------------------------------------------- parent
def launch(kind: str) -> dict[str, Any]:
    out = subprocess.run([python_exe(), __file__, "--child", kind], cwd=ROOT, capture_output=True,
                         text=True, timeout=CHILD_TIMEOUT_S)
    for line in out.stdout.splitlines():
        if line.startswith("wd-memory "):
            return json.loads(line[len("wd-memory "):])
    raise RuntimeError(f"{kind} child failed (exit {out.returncode}): {out.stderr[-2000:]}")


def _pss(runs: list[dict[str, Any]], when: str) -> float | None:
    values = [r[when]["pss"] for r in runs]
    return None if min(values) < 0 else rnd(median(values) / MB, 1)


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    roles = sorted({r for run in runs for r in run["after"]["by_role"]})
    return {
        "idle_mb": rnd(median([r["idle"]["rss"] for r in runs]) / MB, 1),
        "after_mb": rnd(median([r["after"]["rss"] for r in runs]) / MB, 1),
        "peak_mb": rnd(median([r["peak"] for r in runs]) / MB, 1),
        "hwm_sum_mb": rnd(median([r["after"]["hwm"] for r in runs]) / MB, 1),
        "idle_pss_mb": _pss(runs, "idle"),
        "after_pss_mb": _pss(runs, "after"),
        "idle_r_heap_mb": rnd(median([r["idle"]["r"][0] for r in runs]), 1),
        "after_r_heap_mb": rnd(median([r["after"]["r"][0] for r in runs]), 1),
        "idle_wasm_mb": rnd(median([r["idle"]["r"][1] for r in runs]), 1),
        "after_wasm_mb": rnd(median([r["after"]["r"][1] for r in runs]), 1),
        "idle_by_role_mb": {k: rnd(median([r["idle"]["by_role"].get(k, 0) for r in runs]) / MB, 1) for k in roles},
        "after_by_role_mb": {k: rnd(median([r["after"]["by_role"].get(k, 0) for r in runs]) / MB, 1)
                             for k in roles},
        "peak_runs_mb": [rnd(r["peak"] / MB, 1) for r in runs],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="launches of each side (default 3)")
    parser.add_argument("--child", choices=("app", "bare"), help=argparse.SUPPRESS)
    add_load_argument(parser)
    args = parser.parse_args()
    if args.child:
        return run_child(args.child)
    private_env()  # the children inherit the private HOME
    result: dict[str, Any] = {"benchmark": "memory", "load": args.load, "reps": args.reps,
                              "command": COMMAND, "goal_ratio": GOAL}
    try:
        with cpu_load(args.load):
            runs: dict[str, list[dict[str, Any]]] = {"app": [], "bare": []}
            for i in range(args.reps):
                order = ("app", "bare") if i % 2 == 0 else ("bare", "app")
                for kind in order:
                    t0 = time.perf_counter()
                    runs[kind].append(launch(kind))
                    print(f"run {i} {kind}: peak {runs[kind][-1]['peak'] / MB:.0f} MB "
                          f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        app, bare = summarise(runs["app"]), summarise(runs["bare"])
        result.update(
            idle_ratio=rnd(app["idle_mb"] / bare["idle_mb"], 3),
            after_ratio=rnd(app["after_mb"] / bare["after_mb"], 3),
            peak_ratio=rnd(app["peak_mb"] / bare["peak_mb"], 3),
            app=app, bare=bare,
        )
        result["goal_met"] = all(result[k] <= GOAL for k in ("idle_ratio", "after_ratio", "peak_ratio"))
    except Exception as exc:  # noqa: BLE001 - the JSON says what failed
        traceback.print_exc()
        result["error"] = str(exc)
    emit_json(result)
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
