"""Fixtures that run the real webR: a real loopback server and real pages.

One R session per test module where tests don't disturb it; ``fresh_session`` for tests that
restart, crash or quit R. Fixtures check that the server's port is closed afterwards.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from webr_desktop.app import PAGE_PATH, new_session, start_server
from webr_desktop.core.history import History
from webr_desktop.core.runtime_assets import RuntimeAssetError, RuntimeInfo, check_runtime
from webr_desktop.runtime.session import RSession
from webr_desktop.server.local_server import LocalServer
from webr_desktop.ui.console.console_pane import ConsolePane
from tests.webengine.driver import RDriver, wait_for

pytestmark = pytest.mark.webengine


@pytest.fixture(scope="session")
def runtime_info() -> RuntimeInfo:
    try:
        return check_runtime()
    except RuntimeAssetError as exc:  # `make test` fetches it; say how, never skip
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def server(runtime_info: RuntimeInfo) -> Iterator[LocalServer]:
    srv = start_server(runtime_info)
    port = srv.port
    yield srv
    srv.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _start(server: LocalServer) -> tuple[RSession, RDriver]:
    session = new_session(server.url(PAGE_PATH), server.blobs)
    driver = RDriver(session)
    driver.server = server  # for tests that mount host folders or build the whole window
    session.start()
    # R's first prompt: 2-4 s quiet, 10.7 s with two CPU hogs, over 30 s (the old bound) at load
    # average 22; the session itself gives up after START_TIMEOUT_MS (60 s) and says so.
    wait_for(session.sig_prompt_shown, 90_000)
    return session, driver


@pytest.fixture(scope="module")
def shared(qapp, server: LocalServer) -> Iterator[RDriver]:
    """A started session shared by a module's tests (they must leave R at a prompt)."""
    session, driver = _start(server)
    yield driver
    session.shutdown()
    session.deleteLater()


@pytest.fixture
def fresh(qapp, server: LocalServer) -> Iterator[RDriver]:
    """A session of the test's own, for restart/crash/quit tests."""
    session, driver = _start(server)
    yield driver
    session.shutdown()
    session.deleteLater()


@pytest.fixture
def pane(shared, qtbot, tmp_path: Path) -> Iterator[ConsolePane]:
    """A ConsolePane on the shared session; its session connections are undone afterwards."""
    widget = ConsolePane(shared.session, History(tmp_path / "history.txt"))
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    yield widget
    widget.close()
    for signal, slot in [
        (shared.session.sig_output_received, widget._on_session_output),
        (shared.session.sig_input_sent, widget._on_session_input_sent),
        (shared.session.sig_prompt_shown, widget._on_session_prompt),
        (shared.session.sig_busy_changed, widget._on_session_busy),
    ]:
        signal.disconnect(slot)
