"""FetchService: the server-side fetch behind R's download.file (real loopback HTTP)."""

from __future__ import annotations

import json

from tests.webengine.net_targets import http_target, pattern
from webr_desktop.server import fetch as fetch_mod
from webr_desktop.server.fetch import FetchService


def call(service: FetchService, **request) -> tuple[int, bytes]:
    status, _type, body = service.handle(json.dumps(request).encode(), {})
    return status, body


def test_download_in_chunks_follows_redirects_and_maps_404(monkeypatch) -> None:
    monkeypatch.setattr(fetch_mod, "CHUNK", 1000)
    seen: list[tuple[int, int]] = []
    service = FetchService(lambda url, done, total: seen.append((done, total)))
    with http_target() as port:
        status, body = call(service, op="open", url=f"http://127.0.0.1:{port}/bin/2500")
        info = json.loads(body)
        assert status == 200 and info["status"] == 200 and info["size"] == 2500
        data = b""
        while chunk := call(service, op="read", id=info["id"])[1]:
            data += chunk
        assert data == pattern(2500) and seen[-1] == (2500, 2500)
        info = json.loads(call(service, op="open", url=f"http://127.0.0.1:{port}/redirect")[1])
        assert info["url"].endswith("/bin/1000")
        call(service, op="close", id=info["id"])
        info = json.loads(call(service, op="open", url=f"http://127.0.0.1:{port}/missing")[1])
        assert info["status"] == 404 and "404" in info["error"]
    assert json.loads(call(service, op="open", url="file:///etc/passwd")[1])["error"]
    assert call(service, op="read", id="nope")[0] == 404


def test_get_answers_the_whole_body_with_the_remote_status(monkeypatch) -> None:
    monkeypatch.setattr(fetch_mod, "CHUNK", 1000)
    service = FetchService()
    with http_target() as port:
        assert call(service, op="get", url=f"http://127.0.0.1:{port}/bin/2500") == (200, pattern(2500))
        assert call(service, op="get", url=f"http://127.0.0.1:{port}/redirect") == (200, pattern(1000))
        status, body = call(service, op="get", url=f"http://127.0.0.1:{port}/missing")
        assert status == 404 and b"404" in body
        monkeypatch.setattr(fetch_mod, "MAX_GET", 1500)
        assert call(service, op="get", url=f"http://127.0.0.1:{port}/bin/2500")[0] == 413
    assert call(service, op="get", url="file:///etc/passwd")[0] == 502
    assert service._open == {}  # every get closed its download
