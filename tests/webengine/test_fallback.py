"""Without cross-origin isolation webR falls back to its PostMessage channel: R still works,
and the user is told that Interrupt is unavailable."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from webr_desktop.app import new_session
from webr_desktop.core import paths
from webr_desktop.runtime.session import SessionState
from tests.webengine.driver import RDriver


class _PlainHandler(SimpleHTTPRequestHandler):
    """No COOP/COEP headers: the page is not cross-origin isolated."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".mjs": "text/javascript"}

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def plain_url(tmp_path: Path, runtime_info) -> Iterator[str]:
    (tmp_path / "page").symlink_to(paths.resources_dir() / "page")
    (tmp_path / "webr").symlink_to(runtime_info.path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_PlainHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/page/index.html"
    server.shutdown()
    server.server_close()


def test_postmessage_fallback_runs_r_and_warns_about_interrupt(qapp, qtbot, plain_url: str) -> None:
    session = new_session(plain_url)
    driver = RDriver(session)
    notices: list[str] = []
    session.sig_notice.connect(notices.append)
    try:
        with qtbot.waitSignal(session.sig_prompt_shown, timeout=30_000):
            session.start()
        assert session.info.isolated is False and session.info.channel == "PostMessage"
        assert any("not cross-origin isolated" in n for n in notices)
        assert not session.interrupt_available
        assert driver.run(qtbot, "1+1") == [("stdout", "[1] 2")]
        session.interrupt()
        assert "Interrupt is unavailable" in notices[-1]
        assert session.state is SessionState.IDLE
    finally:
        session.shutdown()
