"""Bare start-up baseline, run as a subprocess by bench/startup.py.

QApplication + one QWebEngineView showing bench/bare/index.html; when ``webR.init()``
resolves the page sets its title and this prints ``bare webR ready``; when a first
``evalRNumber('0')`` answered, ``bare first command answered``, and it exits. Exit status 0 on
success, 2 on timeout. The parent times launch -> each line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BARE_ANSWERED_TITLE, BARE_READY_TITLE, run_bare_page  # noqa: E402

READY_LINE = "bare webR ready"
ANSWERED_LINE = "bare first command answered"
TIMEOUT_MS = 60_000


def main() -> int:
    status = {"code": 2}

    def on_title(title: str, quit_app: Callable[[], None]) -> None:
        if title == BARE_READY_TITLE:
            print(READY_LINE, flush=True)
        elif title == BARE_ANSWERED_TITLE and status["code"] != 0:
            print(ANSWERED_LINE, flush=True)
            status["code"] = 0
            quit_app()

    run_bare_page("index.html", on_title, TIMEOUT_MS)  # same engine configuration as the app
    return status["code"]


if __name__ == "__main__":
    raise SystemExit(main())
