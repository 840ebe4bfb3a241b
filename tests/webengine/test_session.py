"""RSession against the real webR: console round trips, streams, prompts, evals, interrupts."""

from __future__ import annotations

import logging

import pytest

from tests.webengine.driver import INTERRUPT_TIMEOUT
from webr_desktop.runtime.session import SessionState


def test_round_trip_prints_result(shared, qtbot) -> None:
    out = shared.run(qtbot, "1+1")
    assert out == [("stdout", "[1] 2")]


def test_started_reports_versions_and_isolation(shared) -> None:
    info = shared.session.info
    assert info.webr_version == "0.6.0"
    assert info.r_version.startswith("4.6")
    assert info.isolated is True and info.channel == "SharedArrayBuffer"
    assert shared.session.interrupt_available


def test_message_goes_to_stderr(shared, qtbot) -> None:
    out = shared.run(qtbot, 'message("hello from R"); cat("on stdout\\n")')
    assert out == [("stderr", "hello from R"), ("stdout", "on stdout")]


def test_error_prints_and_prompt_returns(shared, qtbot) -> None:
    out = shared.run(qtbot, 'stop("boom")')
    assert ("stderr", "Error: boom") in out
    assert shared.session.state is SessionState.IDLE
    assert shared.session.prompt == "> "
    assert shared.run(qtbot, "2*3") == [("stdout", "[1] 6")]


def test_readline_shows_its_prompt_and_takes_next_input(shared, qtbot) -> None:
    with qtbot.waitSignal(shared.session.sig_prompt_shown, timeout=10_000) as blocker:
        shared.session.write_console('who <- readline("name? ")')
    assert blocker.args == ["name? "]
    mark = shared.mark()
    with qtbot.waitSignal(shared.session.sig_prompt_shown, timeout=10_000) as blocker:
        shared.session.write_console("Ada Lovelace")
    assert blocker.args == ["> "]
    assert ("input", "name? Ada Lovelace") in shared.events[mark:]
    assert shared.run(qtbot, "who") == [("stdout", '[1] "Ada Lovelace"')]


def test_partial_line_is_shown_before_the_prompt(shared, qtbot) -> None:
    # webR only emits whole lines; our worker patch flushes at each prompt.
    assert shared.run(qtbot, "cat(55)") == [("stdout", "55")]


def test_multi_line_input_runs_line_by_line_with_continuation_prompts(shared, qtbot) -> None:
    mark = shared.mark()
    shared.run(qtbot, "a <- 1\nif (TRUE) {\n  a + 41\n}")
    echoed = shared.text(mark, "input")
    assert echoed == ["> a <- 1", "> if (TRUE) {", "+   a + 41", "+ }"]
    assert shared.text(mark, "stdout") == ["[1] 42"]


def test_input_typed_while_busy_runs_after(shared, qtbot) -> None:
    mark = shared.mark()
    shared.session.write_console("Sys.sleep(0.3); cat('first\\n')")
    shared.session.write_console("cat('second\\n')")
    qtbot.waitUntil(lambda: shared.text(mark) == ["first", "second"], timeout=10_000)
    qtbot.waitUntil(lambda: shared.session.state is SessionState.IDLE, timeout=5_000)


def test_eval_returns_json_able_values(shared, qtbot) -> None:
    assert shared.eval(qtbot, "1+1") == 2
    assert shared.eval(qtbot, "c(a = 1L, b = NA)") == {"a": 1, "b": None}
    assert shared.eval(qtbot, "list(x = 'é', y = c(TRUE, FALSE), z = NULL)") == {
        "x": "é", "y": [True, False], "z": None,
    }
    assert shared.eval(qtbot, "c(1, Inf, NaN)") == [1, None, None]


def test_a_message_sink_survives_the_apps_evals(shared, qtbot) -> None:
    # webR's output capture reset the message sink to stderr after every app eval (issue 19).
    shared.run(qtbot, 'zz <- textConnection("msgs", "w"); sink(zz, type = "message")')
    assert shared.eval(qtbot, "1 + 1") == 2
    assert shared.eval(qtbot, 'message("from an app eval"); 3') == 3
    mark = shared.mark()
    shared.run(qtbot, 'message("to the sink")')
    assert shared.text(mark, "stderr") == []
    shared.run(qtbot, 'sink(type = "message"); close(zz); cat(msgs, sep = "\\n")')
    assert shared.text(mark, "stdout") == ["to the sink"]


def test_the_apps_r_functions_mask_nothing(shared, qtbot) -> None:
    # issue 19 item 9: the app's versions sit in R's own namespaces, not in front of them.
    assert shared.eval(qtbot, "conflicts()") == ["body<-", "kronecker", "plot"]
    assert shared.eval(qtbot, 'apropos("^q$")') == "q"
    assert shared.eval(qtbot, 'c(find("View"), find("quit"), find("download.file"), find("url"))') == [
        "package:utils", "package:base", "package:utils", "package:base"]
    assert shared.eval(qtbot, "identical(utils::View, View) && identical(base::q, q)") is True


def test_eval_error_fails_the_request(shared, qtbot) -> None:
    request = shared.session.eval('stop("nope")')
    with qtbot.waitSignal(request.sig_failed, timeout=10_000) as blocker:
        pass
    assert "nope" in blocker.args[0]


def test_console_width_follows_setting(shared, qtbot) -> None:
    shared.session.set_console_width(37)
    assert shared.eval(qtbot, 'getOption("width")') == 37


def test_page_console_goes_to_python_logging(shared, qtbot, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="webr_desktop.page.js")
    shared.eval(qtbot, 'message("note-for-the-log")')  # evalR reports it as console.warn
    qtbot.waitUntil(lambda: "note-for-the-log" in caplog.text, timeout=5_000)


def test_interrupt_infinite_loop_and_next_line_not_lost(shared, qtbot) -> None:
    mark = shared.mark()
    shared.session.write_console("cat('looping\\n'); while (TRUE) {}")
    # Interrupt once R runs the loop: an interrupt that reaches webR before R has read the
    # line is another case (webR drops the line and its read; see the loadproof report).
    qtbot.waitUntil(lambda: ("stdout", "looping") in shared.events[mark:], timeout=10_000)
    assert shared.session.state is SessionState.BUSY
    with qtbot.waitSignal(shared.session.sig_prompt_shown, timeout=INTERRUPT_TIMEOUT):
        shared.session.interrupt()
    mark = shared.mark()
    shared.session.write_console("1+1")  # typed right after the prompt came back
    # ~10 ms when R shows it handled the interrupt, ~1 s when the session's guard releases the
    # line (measured with two CPU hogs): 10 s is a bound only a lost line breaks (was 5 s).
    qtbot.waitUntil(lambda: ("stdout", "[1] 2") in shared.events[mark:], timeout=10_000)


def test_interrupt_during_c_code_does_not_swallow_next_line(shared, qtbot) -> None:
    # crossprod() is a primitive that runs BLAS in C and never polls for interrupts, so the
    # interrupt (sent when the marker line arrives) fires only after R is back at a prompt:
    # that is where stock webR drops the next input line (DESIGN.md section 2).
    guard = shared.session._interrupt_guard
    shared.run(qtbot, "m0 <- matrix(runif(1.44e6), 1200)")
    for _attempt in range(3):
        # Under load R may still be in the evaluator (which polls) when the interrupt lands,
        # not yet in crossprod(): then the line is simply interrupted, the case under test
        # didn't happen, and it is tried again (3 times at most, it must happen once).
        mark = shared.mark()
        shared.session.write_console("cat('in-c\\n'); m <- crossprod(m0); cat('c-done\\n')")
        qtbot.waitUntil(lambda: ("stdout", "in-c") in shared.events[mark:], timeout=10_000)
        # The guard that releases held input must start at the prompt, not at interrupt(): C
        # code can outlast any guard. Checked on the timer itself while R is still in C,
        # rather than with a guard shorter than the C call, which raced webR's interrupt poll.
        guard_while_busy: list[bool] = []

        def on_output(_chunk) -> None:
            if shared.session.state is SessionState.BUSY:
                guard_while_busy.append(guard.isActive())

        shared.session.sig_output_received.connect(on_output)
        shared.session.interrupt()
        assert not guard.isActive()
        # C call: ~1 s quiet, 7 s at load average 5, 14.5 s with two CPU hogs (load average 9).
        qtbot.waitUntil(lambda: shared.session.state is SessionState.IDLE, timeout=60_000)
        shared.session.sig_output_received.disconnect(on_output)
        assert not any(guard_while_busy)  # no guard ran while R was busy
        if ("stdout", "c-done") in shared.events[mark:]:
            break
        qtbot.waitUntil(lambda: shared.session.state is SessionState.IDLE, timeout=10_000)
    else:
        pytest.fail("the interrupt never landed while R was in C code (3 attempts)")
    after = shared.mark()
    shared.session.write_console("cat('after-interrupt\\n')")  # typed as soon as the prompt is back
    # The C code ran to its end, and R handled the interrupt only at the prompt: the case
    # under test (an empty stderr line after the prompt, then R prompts again).
    qtbot.waitUntil(lambda: ("stderr", "") in shared.events[after:], timeout=10_000)
    qtbot.waitUntil(lambda: ("stdout", "after-interrupt") in shared.events[after:], timeout=10_000)
    qtbot.waitUntil(lambda: shared.session.state is SessionState.IDLE, timeout=10_000)
    assert shared.run(qtbot, "3+4") == [("stdout", "[1] 7")]


def test_interrupt_at_idle_prompt_keeps_next_line(shared, qtbot) -> None:
    shared.session.interrupt()
    mark = shared.mark()
    shared.session.write_console("cat('still-here\\n')")
    qtbot.waitUntil(lambda: ("stdout", "still-here") in shared.events[mark:], timeout=5_000)
    qtbot.waitUntil(lambda: shared.session.state is SessionState.IDLE, timeout=5_000)


def test_settled_once_after_commands_typed_at_each_prompt(shared, qtbot) -> None:
    """Commands typed the moment R prompts (Ctrl+Enter through a script) get one sig_settled,
    after the last: panes' refresh evals never wait in webR's queue ahead of the next one."""
    events: list[str] = []
    todo = ["st_a <- 1", "st_b <- 2", "st_c <- st_a + st_b"]

    def on_finished() -> None:
        events.append("finished")
        if todo:
            shared.session.write_console(todo.pop(0))

    shared.session.sig_command_finished.connect(on_finished)
    shared.session.sig_settled.connect(lambda: events.append("settled"))
    try:
        with qtbot.waitSignal(shared.session.sig_settled, timeout=30_000):
            shared.session.write_console("st_0 <- 0")
    finally:
        shared.session.sig_command_finished.disconnect(on_finished)
        shared.session.sig_settled.disconnect()
    assert events == ["finished"] * 4 + ["settled"]
    assert shared.eval(qtbot, "st_c") == 3


def test_command_finished_once_per_console_input_and_never_for_evals(shared, qtbot) -> None:
    finished: list[int] = []
    shared.session.sig_command_finished.connect(lambda: finished.append(1))
    shared.run(qtbot, "cf_a <- 1\ncf_b <- 2\ncf_c <- 3")  # a pasted block: one command's worth
    assert len(finished) == 1
    shared.eval(qtbot, "cf_a + cf_b")
    assert len(finished) == 1
    shared.run(qtbot, "rm(cf_a, cf_b, cf_c)")
    assert len(finished) == 2
