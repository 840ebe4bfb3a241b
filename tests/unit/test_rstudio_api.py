"""The rstudioapi route over a real loopback server, and rstudioapi's ranges (no Qt).

R can read the route's secret, so these are hostile: no secret, bad bodies, unknown
functions, a window that is gone or never answers, too many calls at once.
"""

from __future__ import annotations

import http.client
import json
import threading

import pytest

from webr_desktop.core.doc_ranges import DocRange, clamp, parse_ranges
from webr_desktop.server.local_server import LocalServer
from webr_desktop.server.rstudio_api import MAX_PENDING, RSTUDIO_PATH, WINDOW_GONE, ApiCall, RStudioApiRoute


def _post(server: LocalServer, path: str, body: bytes) -> tuple[int, object]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, data


@pytest.fixture
def served():
    route = RStudioApiRoute({"echo": 5.0, "slow": 0.2})
    server = LocalServer()
    server.add_handler(RSTUDIO_PATH, route.handle)
    server.start()
    yield server, route
    server.close()


def _call(server: LocalServer, request: object) -> tuple[int, object]:
    return _post(server, "/" + server.secret + "/" + RSTUDIO_PATH, json.dumps(request).encode())


def test_a_call_is_answered_by_the_gui_side(served) -> None:
    server, route = served
    seen: list[ApiCall] = []

    def post(call: ApiCall) -> None:  # the GUI side answers from another thread, later
        seen.append(call)
        threading.Timer(0.05, lambda: call.reply({"got": call.args})).start()

    route.post = post
    status, body = _call(server, {"fn": ["echo"], "args": {"x": [1, None], "end": [float("inf")]}})
    assert status == 200 and body == {"value": {"got": {"x": [1, None], "end": [None]}}}
    assert [c.name for c in seen] == ["echo"]


def test_without_the_secret_nothing_reaches_the_gui(served) -> None:
    server, route = served
    route.post = lambda call: pytest.fail("posted without the secret")
    status, _ = _post(server, "/" + RSTUDIO_PATH, b'{"fn": "echo"}')
    assert status == 403
    status, _ = _post(server, "/wrong-secret/" + RSTUDIO_PATH, b'{"fn": "echo"}')
    assert status == 403


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"fn": 3}', b'{"fn": ["a", "b"]}',
                                  b'{"fn": "echo", "args": [1]}', b"[" * 100_000])
def test_bad_bodies_are_refused(served, body: bytes) -> None:
    server, route = served
    route.post = lambda call: pytest.fail("a bad body was posted")
    status, answer = _post(server, "/" + server.secret + "/" + RSTUDIO_PATH, body)
    assert status == 400 and answer == {"error": "bad request"}


def test_an_unknown_function_is_an_error_for_r(served) -> None:
    server, route = served
    route.post = lambda call: pytest.fail("an unknown function was posted")
    assert _call(server, {"fn": "removeAllFiles", "args": {}}) == (
        200, {"error": "function 'removeAllFiles' is not available in webR Desktop"})


def test_a_gui_that_never_answers_times_out_with_an_error(served) -> None:
    server, route = served
    route.post = lambda call: None
    status, body = _call(server, {"fn": "slow", "args": {}})
    assert status == 200 and "did not answer slow()" in body["error"]


def test_a_closed_window_answers_at_once(served) -> None:
    server, route = served
    waiting: list[ApiCall] = []
    route.post = waiting.append
    result: list = []
    thread = threading.Thread(target=lambda: result.append(_call(server, {"fn": "echo", "args": {}})))
    thread.start()
    while not waiting:
        thread.join(0.01)
    route.close()  # the window goes while R waits
    thread.join(5)
    assert result == [(200, {"error": WINDOW_GONE})]
    assert _call(server, {"fn": "echo", "args": {}}) == (200, {"error": WINDOW_GONE})


def test_a_post_that_raises_is_a_clear_error(served) -> None:
    server, route = served

    def post(call: ApiCall) -> None:
        raise RuntimeError("Internal C++ object already deleted")

    route.post = post
    assert _call(server, {"fn": "echo", "args": {}}) == (200, {"error": WINDOW_GONE})


def test_too_many_calls_at_once_are_refused(served) -> None:
    server, route = served
    waiting: list[ApiCall] = []
    route.post = waiting.append
    threads = [threading.Thread(target=_call, args=(server, {"fn": "echo", "args": {}})) for _ in range(MAX_PENDING)]
    for t in threads:
        t.start()
    while len(waiting) < MAX_PENDING:
        threads[0].join(0.01)
    assert _call(server, {"fn": "echo", "args": {}}) == (200, {"error": "too many rstudioapi calls at once"})
    for call in waiting:
        call.reply(None)
    for t in threads:
        t.join(5)


def test_the_first_answer_wins() -> None:
    call = ApiCall("echo", {})
    call.reply(1)
    call.fail("late")
    assert call.wait(0) == {"value": 1}


def test_ranges_are_checked() -> None:
    assert parse_ranges([[0, 1, 2, None], [1.0, 0, 1, 3]]) == [(0, 1, 2, None), (1, 0, 1, 3)]
    for bad in (None, [], [[1, 2, 3]], [["a", 0, 0, 0]], [[True, 0, 0, 0]], "0,0,0,0", [[0, 0, 0, 0]] * 10_001):
        with pytest.raises(ValueError):
            parse_ranges(bad)
    assert parse_ranges([[-5, 2**40, 0, 0]]) == [(0, None, 0, 0)]  # negative → 0, huge → the end


def test_ranges_clamp_to_the_document() -> None:
    lengths = [5, 0, 3]
    assert clamp((0, 1, 0, 3), lengths) == DocRange(0, 1, 0, 3)
    assert clamp((0, 99, 9, 0), lengths) == DocRange(0, 5, 2, 3)  # past a line / the document: its end
    assert clamp((None, None, None, None), lengths) == DocRange(2, 3, 2, 3)  # Inf: the end
    assert clamp((2, 1, 0, 0), lengths) == DocRange(0, 0, 2, 1)  # reversed: start first
    assert DocRange(0, 0, 2, 1).as_r() == [1, 1, 3, 2]
