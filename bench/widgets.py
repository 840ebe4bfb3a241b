"""Widget benchmark (no webR): the editor and console costs the widget tests used to time.

editor_open_10k_ms      = median of EditorTabs.open_file() on a 10,000-line R file (read,
                          set the text, colour the visible top); the rest is coloured later.
editor_colour_all_ms    = median of open -> every line coloured (the idle chunks included).
ctrl_enter_after_edit_ms = median of CodeEditor.expression_at(9990) right after a "(" was typed
                          at line 5000 of a 10,000-line buffer: reads the highlighter's line
                          summaries, no re-tokenizing (was `< 0.5 s` in the editor tests).
console_queue_batch_ms_max = slowest ConsoleOutputView.append_lines() of a 4,000-line batch,
                          over a 100,000-line flood: queueing only (was `< 50 ms` in the tests).
console_flood_drawn_ms  = the same flood -> nothing left queued (drawn in 8 ms slices).

Offscreen. Usage: .venv/bin/python bench/widgets.py [--runs N] [--load N]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_load_argument, cpu_load, emit_json, median, rnd, wait_until  # noqa: E402

LINES = ["x <- 1", "f <- function(a,", "  b) {", "  a + b", "}", "# a comment", "s <- 'text'",
         "plot(x, main = \"t(\")", "for (i in 1:3) print(i)", "y <- c(1,", "  2)", ""]


def _r_text(n: int) -> str:
    rng = random.Random(1)
    return "\n".join(rng.choice(LINES) for _ in range(n)) + "\n"


def bench_editor(runs: int) -> dict[str, Any]:
    from PySide6.QtGui import QTextCursor

    from webr_desktop.ui.editor.code_editor import CodeEditor
    from webr_desktop.ui.editor.editor_tabs import EditorTabs

    opens, coloured, ctrl_enter = [], [], []
    with tempfile.TemporaryDirectory(prefix="webr-desktop-widgets-bench-") as tmp:
        path = Path(tmp) / "big.R"
        path.write_text(_r_text(10_000))
        for _ in range(runs):
            tabs = EditorTabs()
            tabs.resize(800, 600)
            tabs.show()
            t0 = time.perf_counter()
            editor = tabs.open_file(path)
            opens.append((time.perf_counter() - t0) * 1000.0)
            wait_until(lambda e=editor: not e.highlighter.pending, 120, "the highlighter", step_ms=1)
            coloured.append((time.perf_counter() - t0) * 1000.0)
            tabs.close()
            tabs.deleteLater()
        text = _r_text(10_000)
        for _ in range(runs):
            editor = CodeEditor()
            editor.setPlainText(text)
            wait_until(lambda e=editor: not e.highlighter.pending, 120, "the highlighter", step_ms=1)
            editor.expression_at(9_990)
            QTextCursor(editor.document().findBlockByNumber(5_000)).insertText("(")
            t0 = time.perf_counter()
            editor.expression_at(9_990)
            ctrl_enter.append((time.perf_counter() - t0) * 1000.0)
            editor.deleteLater()
    return {
        "editor_open_10k_ms": rnd(median(opens)),
        "editor_colour_all_ms": rnd(median(coloured)),
        "ctrl_enter_after_edit_ms": rnd(median(ctrl_enter)),
    }


def bench_console(runs: int) -> dict[str, Any]:
    from webr_desktop.ui.console.output_view import ConsoleOutputView

    lines = [("stdout", f"line {i}") for i in range(1, 100_001)]
    slowest, drawn = [], []
    for _ in range(runs):
        view = ConsoleOutputView(max_lines=5_000)
        view.show()
        worst = 0.0
        t0 = time.perf_counter()
        for start in range(0, len(lines), 4_000):  # arrives in page-sized batches
            t1 = time.perf_counter()
            view.append_lines(lines[start:start + 4_000])
            worst = max(worst, time.perf_counter() - t1)
        wait_until(lambda v=view: v.pending_lines == 0, 120, "the console flood", step_ms=1)
        drawn.append((time.perf_counter() - t0) * 1000.0)
        slowest.append(worst * 1000.0)
        view.close()
        view.deleteLater()
    return {
        "console_queue_batch_ms_max": rnd(max(slowest), 3),
        "console_flood_drawn_ms": rnd(median(drawn)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    add_load_argument(parser)
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - kept alive
    result: dict[str, Any] = {"benchmark": "widgets", "load": args.load, "runs": args.runs}
    status = 0
    try:
        with cpu_load(args.load):
            result.update(bench_editor(args.runs))
            result.update(bench_console(args.runs))
    except Exception as exc:  # noqa: BLE001 - the JSON must still come out, with the reason
        traceback.print_exc()
        result["error"] = f"{type(exc).__name__}: {exc}"
        status = 1
    emit_json(result)
    return status


if __name__ == "__main__":
    sys.exit(main())
