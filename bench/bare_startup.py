"""Bare start-up baseline, run as a subprocess by bench/startup.py.

QApplication + one QWebEngineView showing bench/bare/index.html; when ``webR.init()``
resolves the page sets its title and this prints ``bare webR ready``; when a first
``evalRNumber('0')`` answered, ``bare first command answered``, and it exits. Exit status 0 on
success, 2 on timeout. The parent times launch -> each line.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BARE_ANSWERED_TITLE, BARE_READY_TITLE, BareServer, init_qt  # noqa: E402

READY_LINE = "bare webR ready"
ANSWERED_LINE = "bare first command answered"
TIMEOUT_MS = 60_000


def main() -> int:
    app = init_qt()  # same engine configuration as the app
    from PySide6.QtCore import QTimer, QUrl
    from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
    from PySide6.QtWebEngineWidgets import QWebEngineView

    server = BareServer().start()
    profile = QWebEngineProfile(app)  # off-the-record + memory cache, like the product
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    view = QWebEngineView()
    page = QWebEnginePage(profile, view)
    view.setPage(page)
    status = {"code": 2}

    def on_title(title: str) -> None:
        if title == BARE_READY_TITLE:
            print(READY_LINE, flush=True)
        elif title == BARE_ANSWERED_TITLE and status["code"] != 0:
            print(ANSWERED_LINE, flush=True)
            status["code"] = 0
            QTimer.singleShot(0, app.quit)

    page.titleChanged.connect(on_title)
    QTimer.singleShot(TIMEOUT_MS, app.quit)
    view.load(QUrl(server.url("index.html")))
    view.show()
    app.exec()
    view.close()
    del view, page  # the page (a child of the view) must go before the profile
    server.close()
    return status["code"]


if __name__ == "__main__":
    raise SystemExit(main())
