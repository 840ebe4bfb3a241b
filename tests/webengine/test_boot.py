"""Start-up against the real webR: the page boots before the window is built, nothing reaches
the session early, and the app's R set-up is as cheap as measured (bench/README.md, start-up)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webengine.driver import R_TIMEOUT, RDriver, wait_for
from webr_desktop.app import PAGE_PATH, new_session
from webr_desktop.runtime.session import RSession, SessionState

# webR reaches R.wasm in well under a second quiet; the bound is for a hang, not for speed.
BOOT_TIMEOUT_MS = 90_000


@pytest.fixture
def booting(qapp, server) -> Iterator[tuple[RSession, RDriver, list[str]]]:
    """A session whose page is loading (start() called, no event loop run yet), and a log of
    the session signals that fired, in order."""
    session = new_session(server.url(PAGE_PATH), server.blobs)
    driver = RDriver(session)
    fired: list[str] = []
    session.sig_started.connect(lambda _ready: fired.append("started"))
    session.sig_prompt_shown.connect(lambda _prompt: fired.append("prompt"))
    session.sig_start_failed.connect(lambda error: fired.append(f"failed: {error}"))
    session.sig_output_received.connect(lambda _chunk: fired.append("output"))
    session.start()
    yield session, driver, fired
    session.shutdown()
    session.deleteLater()


def test_boot_wait_ends_when_the_worker_asks_for_r_wasm_and_r_then_starts(booting, qtbot) -> None:
    session, driver, fired = booting
    assert session.let_page_boot(BOOT_TIMEOUT_MS) is True
    assert fired == []  # R can't be up yet: it has not even compiled its module
    assert session.state is SessionState.STARTING
    wait_for(session.sig_prompt_shown, BOOT_TIMEOUT_MS)
    assert fired[0] == "started" and "prompt" in fired, fired
    assert driver.run(qtbot, "6*7") == [("stdout", "[1] 42")]


def test_what_the_page_says_during_the_wait_is_held_for_after_the_caller(booting, qtbot) -> None:
    session, driver, fired = booting
    # A path webR never asks for: the wait ends when the page first says something (webR is
    # ready), and that stays held while the caller (the window build) still runs.
    assert session.let_page_boot(BOOT_TIMEOUT_MS, milestone="/never-requested.bin") is False
    assert fired == []
    assert session.info is None and session.state is SessionState.STARTING
    wait_for(session.sig_prompt_shown, BOOT_TIMEOUT_MS)
    # delivered from the event loop, in the page's order: ready, then R's banner, then the prompt
    assert fired[0] == "started" and fired.index("output") < fired.index("prompt"), fired
    assert driver.run(qtbot, "1+1") == [("stdout", "[1] 2")]


def test_the_window_build_runs_the_pages_work_while_what_it_says_waits_for_release(booting, qtbot) -> None:
    """open_ide: hold the page, let it boot, then build the window pane by pane, running the
    browser's pending work (the page's requests) between panes; R may come up meanwhile, but
    no pane hears of it before the window exists (release)."""
    session, driver, fired = booting
    session.hold_page()
    assert session.let_page_boot(BOOT_TIMEOUT_MS) is True
    bridge = session._bridge  # noqa: SLF001 - the one place that shows the page spoke
    qtbot.waitUntil(bridge.has_held, timeout=BOOT_TIMEOUT_MS)  # events run, as the build's pump: R spoke ...
    assert fired == [] and session.state is SessionState.STARTING  # ... and held
    session.release_page()
    wait_for(session.sig_prompt_shown, BOOT_TIMEOUT_MS)
    assert fired[0] == "started" and fired.index("output") < fired.index("prompt"), fired
    assert driver.run(qtbot, "2+2") == [("stdout", "[1] 4")]


def test_boot_wait_is_a_no_op_once_r_is_up(shared) -> None:
    assert shared.session.state is SessionState.IDLE
    assert shared.session.let_page_boot(10) is False


def test_app_r_set_up_loads_no_tools_namespace_and_keeps_no_source_references(shared, qtbot) -> None:
    # The set-up is parsed without srcrefs and leaves the tools namespace (~0.1 s) to the first
    # help page that needs it; both are what made it cheaper (bench/README.md).
    assert shared.eval(qtbot, '"tools" %in% loadedNamespaces()', R_TIMEOUT) is False
    has_srcref = 'is.null(attr(get("quit", envir = as.environment("tools:webr_desktop")), "srcref"))'
    assert shared.eval(qtbot, has_srcref, R_TIMEOUT) is True
    # help(package =) printed as text (no Help pane attached here) still uses base's method
    out = shared.run(qtbot, 'help(package = "datasets")')
    assert any("Information on package" in text for _kind, text in out), out[:5]


def test_runtime_profile_stays_off_the_record(shared) -> None:
    # QtWebEngine creates no V8 code cache for any profile (bench/README.md, start-up), so a
    # disk profile would only persist the page's data: the runtime page keeps nothing on disk.
    from PySide6.QtWebEngineCore import QWebEngineProfile

    from webr_desktop.runtime.page import shared_profile

    profile = shared_profile()
    assert profile.isOffTheRecord()
    assert profile.httpCacheType() is QWebEngineProfile.HttpCacheType.MemoryHttpCache
    assert profile.persistentCookiesPolicy() is QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
