"""The Environment pane's service and model against the real webR: diffs, promises, active
bindings, remove/clear, restart, and a 10,000-object workspace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from webr_desktop.models.environment import EnvironmentModel, EnvironmentService, EnvRow
from tests.webengine.driver import RDriver

pytestmark = pytest.mark.webengine


@pytest.fixture(scope="module")
def service(shared: RDriver) -> Iterator[EnvironmentService]:
    """One service per R session: R keeps one snapshot to diff against."""
    svc = EnvironmentService(shared.session, EnvironmentModel())  # the session runs: it refreshes
    yield svc
    svc.deleteLater()


@pytest.fixture
def env(qtbot, shared: RDriver, service: EnvironmentService) -> EnvironmentService:
    """The service with R's global environment emptied and the model showing it."""
    run(qtbot, shared, service, "rm(list = ls(all.names = TRUE))")
    assert service.model.rowCount() == 0
    return service


def run(qtbot, shared: RDriver, service: EnvironmentService, code: str, timeout: int = 15_000) -> list:
    """Console input, then wait for the refresh its prompt starts; returns R's output."""
    out = shared.run(qtbot, code, timeout=timeout)
    qtbot.waitUntil(lambda: not service.busy, timeout=timeout)
    return out


def settle(qtbot, service: EnvironmentService, timeout: int = 15_000) -> None:
    qtbot.waitUntil(lambda: not service.busy, timeout=timeout)


def row(service: EnvironmentService, name: str) -> EnvRow:
    found = service.model.get(name)
    assert found is not None, f"{name!r} not in {service.model.names()}"
    return found


def test_a_new_object_appears_and_rm_removes_it(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    run(qtbot, shared, env, "x <- 1:10")
    x = row(env, "x")
    assert (x.type, x.dims, x.viewable) == ("integer", "10", True)
    assert x.preview.startswith("int") and x.preview == "int [1:10] 1 2 3 4 5 6 7 8 9 10"
    assert x.size is not None and x.size > 0
    assert env.last_changed_count == 1 and not env.last_reset
    run(qtbot, shared, env, "rm(x)")
    assert env.model.find("x") == -1 and env.model.rowCount() == 0
    assert (env.last_changed_count, env.last_removed_count) == (0, 1)


def test_data_frame_function_list_factor_matrix(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    run(qtbot, shared, env, "df <- data.frame(a = 1:3, b = letters[1:3]); f <- function(x, y) x + y; "
                            "l <- list(1, 'a', TRUE); fa <- factor(c('lo', 'hi', 'lo')); m <- matrix(1:6, 2); "
                            "s <- 'it\\'s'; e <- new.env(); nothing <- NULL")
    assert env.model.names() == ["df", "e", "f", "fa", "l", "m", "nothing", "s"]
    df = row(env, "df")
    assert (df.type, df.dims, df.preview, df.viewable) == ("data.frame", "3 × 2", "3 obs. of 2 variables", True)
    f = row(env, "f")
    assert (f.type, f.dims, f.viewable) == ("function", "", False) and f.preview.startswith("function (x, y)")
    lst = row(env, "l")
    assert (lst.type, lst.dims, lst.preview, lst.viewable) == ("list", "3", "List of 3", True)
    fa = row(env, "fa")
    assert fa.type == "factor" and fa.preview == 'Factor w/ 2 levels "hi","lo": 2 1 2' and fa.viewable
    m = row(env, "m")
    assert (m.type, m.dims, m.viewable) == ("matrix", "2 × 3", True) and m.preview.startswith("int [1:2, 1:3] 1 2 3")
    assert row(env, "s").preview == '"it\'s"'
    assert row(env, "e").type == "environment" and not row(env, "e").viewable
    assert (row(env, "nothing").type, row(env, "nothing").preview) == ("NULL", "NULL")


def test_a_traced_function_is_shown_as_the_function_written(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    """Breakpoints trace functions (class functionWithTrace, with the tracer in its body): the
    pane shows the user's function, not the tracing machinery."""
    run(qtbot, shared, env, "g <- function(a, b) {\n  a + b\n}")
    before = row(env, "g")
    run(qtbot, shared, env, "invisible(trace(g, quote(NULL), at = 2, print = FALSE))")
    assert shared.eval(qtbot, 'inherits(g, "functionWithTrace")') is True
    traced = row(env, "g")
    assert (traced.type, traced.preview, traced.size) == ("function", before.preview, before.size)


def test_previews_stay_short_for_big_objects(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    run(qtbot, shared, env, "big <- runif(1e6); words <- strrep('w', 1:500); cars2 <- mtcars")
    big = row(env, "big")
    assert big.dims == "1000000" and big.size >= 8e6 and big.preview.startswith("num [1:1000000] ")
    assert big.preview.endswith(" ...") and len(big.preview) <= 80
    assert len(row(env, "words").preview) <= 80
    cars = row(env, "cars2")
    assert (cars.dims, cars.preview) == ("32 × 11", "32 obs. of 11 variables")


def test_a_promise_is_not_forced(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    out = run(qtbot, shared, env, 'delayedAssign("p", stop("boom"))')
    assert not [t for k, t in out if k == "stderr" and t]
    p = row(env, "p")
    assert (p.type, p.preview, p.viewable) == ("promise", "<promise>", False)
    env.refresh(full=True)
    settle(qtbot, env)
    assert row(env, "p").preview == "<promise>"
    # Once the user forces a promise, the pane shows its value.
    run(qtbot, shared, env, 'delayedAssign("q", 6 * 7)')
    assert row(env, "q").preview == "<promise>"
    run(qtbot, shared, env, "invisible(q + 1)")
    assert (row(env, "q").type, row(env, "q").preview) == ("numeric", "42")
    assert env.last_changed_count == 1
    assert shared.eval(qtbot, 'inherits(try(p, silent = TRUE), "try-error")') is True  # still unforced


def test_an_active_binding_is_not_called(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    run(qtbot, shared, env, "calls <- 0; makeActiveBinding('ab', function() { calls <<- calls + 1; calls }, globalenv())")
    ab = row(env, "ab")
    assert (ab.type, ab.preview, ab.viewable) == ("active binding", "<active binding>", False)
    run(qtbot, shared, env, "y <- 2")
    env.refresh(full=True)
    settle(qtbot, env)
    assert row(env, "ab").preview == "<active binding>"
    assert shared.eval(qtbot, "calls") == 0


def test_remove_and_clear_through_the_service(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    run(qtbot, shared, env, "a <- 1; b <- 2; c <- 3; assign('we\"ird name', 4); .hidden <- 5")
    assert env.model.names() == ["a", "b", "c", 'we"ird name']  # hidden names are not shown
    with qtbot.waitSignal(env.sig_refreshed, timeout=10_000):
        env.remove(["a", 'we"ird name'])
    settle(qtbot, env)
    assert env.model.names() == ["b", "c"]
    assert shared.eval(qtbot, "exists('a')") is False
    with qtbot.waitSignal(env.sig_refreshed, timeout=10_000):
        env.clear()
    settle(qtbot, env)
    assert env.model.rowCount() == 0
    assert shared.eval(qtbot, "exists('.hidden')") is True  # like RStudio's broom: visible objects only


def test_refreshes_asked_during_one_are_coalesced(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    done: list[int] = []
    env.sig_refreshed.connect(lambda: done.append(1))
    for _ in range(5):
        env.refresh()
    settle(qtbot, env)
    env.sig_refreshed.disconnect()
    assert len(done) == 2  # the one in flight, then one for the four asked meanwhile


def test_commands_in_quick_succession_get_one_refresh_after_the_last(qtbot, shared: RDriver,
                                                                     env: EnvironmentService) -> None:
    """The refresh waits until R has settled at its prompt: no eval between commands typed the
    moment R prompts, one after them that sees all their objects."""
    sent: list[str] = []
    todo = ["qs_b <- 2", "qs_c <- 3"]

    def on_finished() -> None:
        sent.append("busy" if env.busy else "idle")
        if todo:
            shared.session.write_console(todo.pop(0))

    done: list[int] = []
    env.sig_refreshed.connect(lambda: done.append(1))
    shared.session.sig_command_finished.connect(on_finished)
    try:
        run(qtbot, shared, env, "qs_a <- 1")
        qtbot.waitUntil(lambda: not todo and not env.busy, timeout=15_000)
    finally:
        shared.session.sig_command_finished.disconnect(on_finished)
        env.sig_refreshed.disconnect()
    assert len(done) == 1 and sent == ["busy"] * 3  # due from the first command on
    assert {"qs_a", "qs_b", "qs_c"} <= set(env.model.names())


def test_ten_thousand_objects_then_a_one_row_diff(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    run(qtbot, shared, env, "list2env(setNames(as.list(seq_len(1e4)), paste0('v', seq_len(1e4))), globalenv())",
        timeout=60_000)
    assert env.model.rowCount() == 10_000 and row(env, "v10000").preview == "10000"
    assert env.last_changed_count == 10_000
    env.refresh(full=True)
    settle(qtbot, env, 60_000)
    assert env.last_reset and env.model.rowCount() == 10_000
    full_ms, full_r_ms = env.last_refresh_ms, env.last_r_ms
    run(qtbot, shared, env, "v5000 <- -1")
    assert (env.last_changed_count, env.last_removed_count, env.last_reset) == (1, 0, False)
    assert row(env, "v5000").preview == "-1" and env.model.rowCount() == 10_000
    print(f"\n10,000 objects: full refresh {full_ms:.0f} ms (R {full_r_ms:.0f} ms); "
          f"one changed {env.last_refresh_ms:.0f} ms (R {env.last_r_ms:.0f} ms)")
    run(qtbot, shared, env, "rm(list = ls())", timeout=60_000)
    assert env.model.rowCount() == 0 and env.last_removed_count == 10_000


def test_model_passes_the_model_tester_through_diffs(qtbot, qtmodeltester, shared: RDriver, env: EnvironmentService) -> None:
    run(qtbot, shared, env, "b <- 1; d <- 'x'; f <- function() 1; h <- list(1)")
    qtmodeltester.check(env.model)  # keeps watching the model while R changes it
    run(qtbot, shared, env, "a <- 1; c <- 2; e <- 3; z <- 4; b <- 2; rm(f)")
    assert env.model.names() == ["a", "b", "c", "d", "e", "h", "z"]
    assert row(env, "b").preview == "2"


def test_restart_clears_the_model_and_refreshes_in_full(qtbot, fresh: RDriver) -> None:
    svc = EnvironmentService(fresh.session, EnvironmentModel())
    run(qtbot, fresh, svc, "x <- 1; y <- 2")
    assert svc.model.names() == ["x", "y"]
    with qtbot.waitSignal(svc.sig_refreshed, timeout=30_000):
        fresh.session.restart()
    settle(qtbot, svc)
    assert svc.last_reset and svc.model.rowCount() == 0
    run(qtbot, fresh, svc, "z <- 3")
    assert svc.model.names() == ["z"]
    svc.deleteLater()


def test_a_failed_refresh_is_reported_and_the_next_one_is_full(qtbot, shared: RDriver, env: EnvironmentService) -> None:
    tools = 'as.environment("tools:webr_desktop")'
    shared.eval(qtbot, f'assign(".wd.env_update_ok", .wd.env_update, envir = {tools}); '
                       f'assign(".wd.env_update", function(...) stop("no snapshot"), envir = {tools}); 0')
    try:
        with qtbot.waitSignal(env.sig_problem, timeout=10_000) as blocker:
            shared.run(qtbot, "a <- 1")
        assert "no snapshot" in blocker.args[0]
        assert env.model.find("a") == -1
    finally:
        shared.eval(qtbot, f'assign(".wd.env_update", .wd.env_update_ok, envir = {tools}); '
                           f'rm(".wd.env_update_ok", envir = {tools}); 0')
    settle(qtbot, env)
    run(qtbot, shared, env, "b <- 2")
    assert env.last_reset and env.model.names() == ["a", "b"]
