"""rstudioapi benchmark; prints one JSON object.

rstudioapi_call_ms      = median of R's own clock around `rstudioapi::getActiveDocumentContext()`
                          (Debian bookworm's r-cran-rstudioapi 0.14, the real package) with a
                          200-line script open in the editor: R -> sync XHR -> loopback route ->
                          GUI thread reads the editor -> JSON -> R's document_context. Goal < 20.
rstudioapi_call_p90_ms  = its 90th percentile; rstudioapi_insert_ms the median of an
                          insertText() at the end of the same script (an edit, same path back);
                          rstudioapi_small_call_ms the same for getActiveProject() (a tiny
                          answer); eval_js_ms a bare webr::eval_js("0") (the floor of any call).
R's clock (proc.time) ticks in whole milliseconds here, so medians are multiples of ~1 ms.

Usage: .venv/bin/python bench/rstudioapi.py [--calls N] [--load N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (  # noqa: E402
    add_load_argument, cpu_load, emit_json, init_qt, median, percentile, private_env, rnd, wait_first_prompt, wait_until,
)

from tests.fixtures.debian_r import package_trees  # noqa: E402

SCRIPT = "".join(f"x{i} <- rnorm({i}) # line {i}\n" for i in range(200))
LOAD = ('local({ lib <- file.path(tempdir(), "bench-lib"); dir.create(lib); '
        'stopifnot(file.copy("rlib/rstudioapi", lib, recursive = TRUE)); '
        'suppressWarnings(library(rstudioapi, lib.loc = lib)) }); "ok"')
TIMED = ('local({{ f <- function() {{ {call} }}; for (i in 1:5) f(); '
         'ms <- vapply(seq_len({n}), function(i) {{ t0 <- proc.time()[["elapsed"]]; f(); '
         '1000 * (proc.time()[["elapsed"]] - t0) }}, 0); paste(ms, collapse = ",") }})')


def r_value(session, code: str, timeout_s: float = 120) -> object:
    """Evaluate ``code`` in R while the GUI thread keeps answering rstudioapi's calls."""
    request = session.eval(code)
    result: dict = {}
    request.sig_finished.connect(lambda v: result.setdefault("value", v))
    request.sig_failed.connect(lambda e: result.setdefault("error", e))
    wait_until(lambda: bool(result), timeout_s, code[:60])
    if "error" in result:
        raise RuntimeError(result["error"])
    return result["value"]


def timed(session, call: str, n: int) -> list[float]:
    text = r_value(session, TIMED.format(call=call, n=n))
    return [float(v) for v in str(text).split(",")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    add_load_argument(parser)
    args = parser.parse_args()
    private_env()
    app = init_qt()
    result: dict = {"benchmark": "rstudioapi", "load": args.load, "calls": args.calls}
    folder = Path(tempfile.mkdtemp(prefix="wd-bench-rsa-"))
    parts = None
    with cpu_load(args.load):
        try:
            shutil.copytree(package_trees(("r-cran-rstudioapi",))["rstudioapi"], folder / "rlib" / "rstudioapi")
            (folder / "script.R").write_text(SCRIPT, encoding="utf-8")
            from PySide6.QtCore import QSettings

            from _common import AppParts
            from webr_desktop.app import open_ide
            from webr_desktop.core.runtime_assets import check_runtime

            services, window, console = open_ide(check_runtime(), QSettings(), folder / "script.R")
            parts = AppParts(services=services, window=window, console=console)
            wait_first_prompt(parts)
            session = services.session
            r_value(session, LOAD)
            calls = timed(session, "getActiveDocumentContext()", args.calls)
            inserts = timed(session, 'insertText(Inf, "# bench\\n")', max(20, args.calls // 10))
            small = timed(session, "getActiveProject()", args.calls)  # the round trip with a tiny answer
            eval_js = timed(session, 'webr::eval_js("0")', args.calls)  # R -> worker JS -> R alone
            direct = timed(session, '.rs.api.getActiveProject()', args.calls)  # without rstudioapi's callFun
            editor = window.editor.current_editor()
            lines = editor.document().blockCount() if editor is not None else 0
            for e in window.editor.editors():
                e.document().setModified(False)  # no save prompt on close
            result.update(
                rstudioapi_call_ms=rnd(median(calls), 3),
                rstudioapi_call_p90_ms=rnd(percentile(calls, 90), 3),
                rstudioapi_insert_ms=rnd(median(inserts), 3),
                rstudioapi_small_call_ms=rnd(median(small), 3),
                eval_js_ms=rnd(median(eval_js), 3),
                direct_small_call_ms=rnd(median(direct), 3),
                script_lines_after=lines,
                package="r-cran-rstudioapi 0.14-1 (Debian bookworm)",
            )
        except Exception as exc:  # noqa: BLE001 - the JSON says what failed
            traceback.print_exc()
            result["error"] = str(exc)
        finally:
            if parts is not None:
                parts.close()
            shutil.rmtree(folder, ignore_errors=True)
    emit_json(result)
    del app
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
