"""What a persistent wasm code cache could save at start-up, at most; prints one JSON object.

Issue 18's warm goal (startup_ratio <= 0.8) needs work saved across runs. Chromium's only
store for compiled WebAssembly is its generated code cache, which QtWebEngine never creates
(bench/README.md, "Start-up"). This measures the bound: one fresh process and page runs
``webR.init()`` three times (bench/bare/twice.js). The first compiles R.wasm; the later ones
reuse V8's in-process cache of compiled modules and the memory HTTP cache, as a warm code
cache would at best. ``saved_ms`` = first init - median(later inits), per process; the
figures are medians over ``--runs`` processes.

bare_with_cache_ratio = (bare start - saved_ms) / bare start: the bare page itself, had it a
perfect code cache, against the bare page as measured (startup_ratio's baseline).
estimated_best_warm_ratio = (app's warm start - saved_ms) / bare start. The app's and the bare
start (launch -> ready) come from ``--app-ms`` / ``--bare-ms`` (startup.py's startup_app_ms and
startup_bare_ms from the same session); without them, this runs startup.py's warm start-up
part itself (``--startup-runs`` launches each, at least 5).

Usage: .venv/bin/python bench/code_cache_bound.py [--runs N] [--load N] [--app-ms MS --bare-ms MS]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_load_argument, cpu_load, emit_json, median, run_bare_page  # noqa: E402

TIMEOUT_MS = 120_000


def one_process() -> dict:
    """Run in a child: load twice.html, wait for its JSON title, return it."""
    result: dict = {"error": "timed out"}

    def on_title(title: str, quit_app: Callable[[], None]) -> None:
        if title.startswith("{"):
            result.clear()
            result.update(json.loads(title))
            quit_app()

    run_bare_page("twice.html", on_title, TIMEOUT_MS)
    return result


def warm_startup(runs: int) -> tuple[float, float]:
    """startup.py's warm launch medians (app, bare), measured now, under the same load."""
    import subprocess

    out = subprocess.run([sys.executable, str(Path(__file__).with_name("startup.py")), "--runs", str(runs),
                          "--skip-roundtrip"], capture_output=True, text=True, check=True)
    data = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
    return data["startup_app_ms"], data["startup_bare_ms"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--app-ms", type=float)
    parser.add_argument("--bare-ms", type=float)
    parser.add_argument("--startup-runs", type=int, default=5)
    add_load_argument(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_process()), flush=True)
        return 0
    import subprocess

    runs = []
    with cpu_load(args.load):
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True,
                                 timeout=TIMEOUT_MS / 1000 + 30, check=False)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            data = json.loads(lines[-1]) if lines else {"error": out.stderr[-500:]}
            if "error" in data:
                raise SystemExit(f"code_cache_bound: {data['error']}")
            runs.append(data)
        if not (args.app_ms and args.bare_ms):
            args.app_ms, args.bare_ms = warm_startup(args.startup_runs)
    first = [r["inits"][0]["ready"] for r in runs]
    later = [median([i["ready"] for i in r["inits"][1:]]) for r in runs]
    saved = [f - lt for f, lt in zip(first, later)]
    report = {
        "benchmark": "code_cache_bound", "load": args.load, "runs": args.runs,
        "first_init_ms": round(median(first), 1), "later_init_ms": round(median(later), 1),
        "saved_ms": round(median(saved), 1),
        "first_answered_ms": round(median([r["inits"][0]["answered"] for r in runs]), 1),
        "later_answered_ms": round(median([median([i["answered"] for i in r["inits"][1:]]) for r in runs]), 1),
        "page_to_first_init_ms": round(median([r["page_to_first_init_ms"] for r in runs]), 1),
        "runs_ms": [[round(i["ready"], 1) for i in r["inits"]] for r in runs],
    }
    report["startup_app_ms"], report["startup_bare_ms"] = args.app_ms, args.bare_ms
    report["bare_with_cache_ratio"] = round((args.bare_ms - report["saved_ms"]) / args.bare_ms, 3)
    report["estimated_best_warm_ratio"] = round((args.app_ms - report["saved_ms"]) / args.bare_ms, 3)
    emit_json(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
