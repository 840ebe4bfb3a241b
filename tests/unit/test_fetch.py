"""FetchService: the server-side fetch behind R's download.file/url/readLines (real loopback
HTTP). R code can post to it directly, so the switch and the policy are checked here."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.webengine.net_targets import http_target, pattern
from webr_desktop.net.tokens import DestinationPolicy
from webr_desktop.server import fetch as fetch_mod
from webr_desktop.server.fetch import FetchService

ALL = DestinationPolicy("all")


def call(service: FetchService, **request) -> tuple[int, bytes]:
    status, _type, body = service.handle(json.dumps(request).encode(), {})
    return status, body


def opened(service: FetchService, url: str, **extra) -> dict:
    status, body = call(service, op="open", url=url, **extra)
    assert status == 200
    return json.loads(body)


def test_download_in_chunks_follows_redirects_and_maps_404(monkeypatch) -> None:
    monkeypatch.setattr(fetch_mod, "CHUNK", 1000)
    seen: list[tuple[int, int]] = []
    service = FetchService(lambda: ALL, lambda url, done, total: seen.append((done, total)))
    with http_target() as port:
        info = opened(service, f"http://127.0.0.1:{port}/bin/2500")
        assert info["status"] == 200 and info["size"] == 2500
        data = b""
        while chunk := call(service, op="read", id=info["id"])[1]:
            data += chunk
        assert data == pattern(2500) and seen[-1] == (2500, 2500)
        info = opened(service, f"http://127.0.0.1:{port}/redirect")
        assert info["url"].endswith("/bin/1000")
        call(service, op="close", id=info["id"])
        info = opened(service, f"http://127.0.0.1:{port}/missing")
        assert info["status"] == 404 and "404" in info["error"]
    assert opened(service, "file:///etc/passwd")["error"]
    assert call(service, op="read", id="nope")[0] == 404
    assert service._open == {}


def test_get_answers_the_whole_body_with_the_remote_status(monkeypatch) -> None:
    monkeypatch.setattr(fetch_mod, "CHUNK", 1000)
    service = FetchService(lambda: ALL)
    with http_target() as port:
        assert call(service, op="get", url=f"http://127.0.0.1:{port}/bin/2500") == (200, pattern(2500))
        assert call(service, op="get", url=f"http://127.0.0.1:{port}/redirect") == (200, pattern(1000))
        status, body = call(service, op="get", url=f"http://127.0.0.1:{port}/missing")
        assert status == 404 and b"404" in body
        monkeypatch.setattr(fetch_mod, "MAX_GET", 1500)
        assert call(service, op="get", url=f"http://127.0.0.1:{port}/bin/2500")[0] == 413
    assert call(service, op="get", url="file:///etc/passwd")[0] == 502
    assert service._open == {}  # every get closed its download


def test_networking_off_refuses_every_op_before_any_request() -> None:
    policy: list[DestinationPolicy | None] = [ALL]
    service = FetchService(lambda: policy[0])
    hits: list[str] = []
    with http_target(hits) as port:
        info = opened(service, f"http://127.0.0.1:{port}/bin/100")
        policy[0] = None  # the Network switch goes off mid-download
        status, body = call(service, op="read", id=info["id"])
        assert status == 403 and b"networking is off" in body and service._open == {}
        assert "networking is off" in opened(service, f"http://127.0.0.1:{port}/0")["error"]
        status, body = call(service, op="get", url=f"http://127.0.0.1:{port}/0")
        assert status == 403 and b"networking is off" in body
    assert len(hits) == 1  # only the download opened while on reached the server


def test_the_policy_applies_to_the_first_address_and_every_redirect_hop() -> None:
    hits_a: list[str] = []
    hits_b: list[str] = []
    with http_target(hits_a) as a, http_target(hits_b) as b:
        public = FetchService(lambda: DestinationPolicy("public"))
        assert "private address" in opened(public, f"http://127.0.0.1:{a}/0")["error"]
        status, body = call(public, op="get", url=f"http://localhost:{a}/0")
        assert status == 502 and b"blocked by the network policy" in body
        assert hits_a == []  # refused before connecting

        only_a = FetchService(lambda: DestinationPolicy("list", (f"127.0.0.1:{a}",)))
        assert call(only_a, op="get", url=f"http://127.0.0.1:{a}/0") == (200, b"hello")
        hop = urllib.parse.quote(f"http://127.0.0.1:{b}/0", safe="")
        info = opened(only_a, f"http://127.0.0.1:{a}/to?{hop}")
        assert "not in the network allow list" in info["error"] and hits_b == []
        assert call(only_a, op="get", url=f"http://127.0.0.1:{a}/to?{hop}")[0] == 502
        assert hits_b == [] and only_a._open == {}


def test_redirects_to_other_schemes_are_refused() -> None:
    service = FetchService(lambda: ALL)
    with http_target() as port:
        for where in ("ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1:70/"):
            info = opened(service, f"http://127.0.0.1:{port}/to?{urllib.parse.quote(where, safe='')}")
            assert "only http and https" in info["error"], where
    assert service._open == {}


class _Resolver(DestinationPolicy):
    """A policy whose name lookup is a table (the name stands for one a rebinding DNS server
    would answer differently each time): shows which address the fetch connects to."""

    def __init__(self, table: dict[str, str]) -> None:
        super().__init__("public")
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "asked", [])

    def resolve(self, host: str, port: int) -> str:
        self.asked.append(host)
        return self.table[host]


def test_the_connection_goes_to_the_address_the_policy_approved() -> None:
    hits: list[str] = []
    with http_target(hits) as port:
        policy = _Resolver({"rebind.invalid": "127.0.0.1"})
        service = FetchService(lambda: policy)
        assert call(service, op="get", url=f"http://rebind.invalid:{port}/0") == (200, b"hello")
    assert policy.asked == ["rebind.invalid"]  # resolved once, by the policy
    assert hits == [f"rebind.invalid:{port} /0"]  # the name stays in Host


@pytest.mark.parametrize("bad", ["abc", -1, 0, True, [1], 1e400])
def test_a_bad_timeout_is_an_error_not_a_crash(bad) -> None:
    service = FetchService(lambda: ALL)
    status, _type, body = service.handle(json.dumps({"op": "open", "url": "http://127.0.0.1:9/", "timeout": bad}).encode(), {})
    assert status == 200 and "invalid timeout" in json.loads(body)["error"]
    assert service._open == {}


def test_fetch_edge_cases_are_clear_errors_and_leave_nothing_open(monkeypatch) -> None:
    monkeypatch.setattr(fetch_mod, "CHUNK", 100)
    service = FetchService(lambda: ALL)
    with http_target() as port:
        base = f"http://127.0.0.1:{port}"
        assert "invalid Content-Length" in opened(service, f"{base}/badlength")["error"]
        status, body = call(service, op="get", url=f"{base}/badlength")
        assert status == 502 and b"invalid Content-Length" in body
        for url in (f"{base}/0\r\nX-Injected: 1", f"{base}/a b", f"http://exa mple.org/", "http://[::1/"):
            assert "error" in opened(service, url), url
            assert call(service, op="get", url=url)[0] == 502
        assert "bad HTTP header" in opened(service, f"{base}/0", headers={"A\r\nB": "c"})["error"]
        assert "bad HTTP header" in opened(service, f"{base}/0", headers={"A": "c\r\nB: d"})["error"]
        # A body shorter than its Content-Length: the last read is an error, never a clean end.
        info = opened(service, f"{base}/short/1000")
        reads = [call(service, op="read", id=info["id"]) for _ in range(6)]
        assert [s for s, _ in reads[:5]] == [200] * 5 and b"".join(b for _, b in reads[:5]) == pattern(500)
        assert reads[5][0] == 502 and b"500 of 1000 bytes" in reads[5][1]
        status, body = call(service, op="get", url=f"{base}/short/1000")
        assert status == 502 and b"incomplete" in body
    assert service._open == {}
