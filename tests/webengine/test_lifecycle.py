"""Restart, crash, quit and bad input: R comes back and nothing the user typed is lost."""

from __future__ import annotations

import os
import signal

from webr_desktop.runtime.session import SessionState


def test_restart_gives_a_fresh_r_and_fails_pending_evals(fresh, qtbot) -> None:
    fresh.run(qtbot, "precious <- 42")
    assert fresh.eval(qtbot, 'exists("precious")') is True
    pending = fresh.session.eval("Sys.sleep(5); 1")
    with qtbot.waitSignal(pending.sig_failed, timeout=5_000) as failed:
        fresh.session.restart()
    assert "restarted" in failed.args[0]
    qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE, timeout=30_000)
    assert fresh.eval(qtbot, 'exists("precious")') is False


def test_a_request_made_when_another_fails_at_restart_runs_in_the_new_r(fresh, qtbot) -> None:
    first = fresh.session.eval("Sys.sleep(5); 1")
    again: list = []
    first.sig_failed.connect(lambda _reason: again.append(fresh.session.eval("6 * 7")))
    second = fresh.session.eval("Sys.sleep(5); 2")  # still pending while the first fails
    with qtbot.waitSignal(second.sig_failed, timeout=5_000):
        fresh.session.restart()
    assert len(again) == 1
    with qtbot.waitSignal(again[0].sig_finished, timeout=30_000) as done:
        pass
    assert done.args[0] == 42


def test_crashed_page_is_reported_and_next_input_starts_a_new_r(fresh, qtbot) -> None:
    pid = fresh.session._page.render_process_pid()
    assert pid > 0
    with qtbot.waitSignal(fresh.session.sig_crashed, timeout=10_000):
        os.kill(pid, signal.SIGKILL)
    assert fresh.session.state is SessionState.CRASHED
    mark = fresh.mark()
    fresh.session.write_console("cat('back again\\n')")
    qtbot.waitUntil(lambda: ("stdout", "back again") in fresh.events[mark:], timeout=30_000)


def test_quit_ends_r_and_next_input_starts_a_new_r(fresh, qtbot) -> None:
    # webR's own quit() hangs R; the app's quit() runs .Last() and ends the session.
    fresh.run(qtbot, '.Last <- function() cat("bye\\n"); gone <- 1')
    with qtbot.waitSignal(fresh.session.sig_closed, timeout=10_000) as closed:
        fresh.session.write_console("q(status = 3)")
    assert closed.args == [3]
    assert ("stdout", "bye") in fresh.events
    assert fresh.session.state is SessionState.CLOSED
    mark = fresh.mark()
    fresh.session.write_console("cat(exists('gone'), '\\n')")
    qtbot.waitUntil(lambda: ("stdout", "FALSE ") in fresh.events[mark:], timeout=30_000)


def test_worker_closed_is_reported_and_next_input_starts_a_new_r(fresh, qtbot) -> None:
    # webR sends {type: 'closed'} when its worker ends (e.g. a fatal WebAssembly error).
    with qtbot.waitSignal(fresh.session.sig_closed, timeout=5_000) as closed:
        fresh.session._bridge.deliver('{"kind": "messages", "messages": [{"type": "closed"}]}')
    assert closed.args == [0]
    assert fresh.session.state is SessionState.CLOSED
    mark = fresh.mark()
    fresh.session.write_console("cat('alive\\n')")
    qtbot.waitUntil(lambda: ("stdout", "alive") in fresh.events[mark:], timeout=30_000)


def test_malformed_payload_is_reported_and_the_session_keeps_working(fresh, qtbot) -> None:
    bridge = fresh.session._bridge
    with qtbot.waitSignal(bridge.sig_protocol_error, timeout=2_000) as err:
        bridge.deliver('{"kind": "messages", "messages": [{"type": "stdout", "data": 1}]}')
    assert "not text" in err.args[0]
    with qtbot.waitSignal(bridge.sig_protocol_error, timeout=2_000):
        bridge.deliver("not json at all")
    assert fresh.run(qtbot, "1+2") == [("stdout", "[1] 3")]
