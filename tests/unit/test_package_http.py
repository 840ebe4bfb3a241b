"""The package service's downloads keep the Network switch and the destination policy: checked
at every request and every redirect hop, http/https only (issue 14's promise, for packages)."""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from webr_desktop.net.tokens import DestinationPolicy
from webr_desktop.server.package_http import guarded_opener


@contextmanager
def target(redirect_to: str | None = None) -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(f"{self.headers.get('Host')} {self.path}")
            if redirect_to:
                self.send_response(302)
                self.send_header("Location", redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = b"PACKAGES"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def fetch(opener: urllib.request.OpenerDirector, url: str) -> bytes:
    with opener.open(urllib.request.Request(url), timeout=10) as response:
        return response.read()


def test_allow_all_fetches() -> None:
    with target() as (port, seen):
        assert fetch(guarded_opener(lambda: DestinationPolicy("all")), f"http://127.0.0.1:{port}/x") == b"PACKAGES"
        assert seen == [f"127.0.0.1:{port} /x"]


def test_networking_off_refuses_before_connecting() -> None:
    with target() as (port, seen):
        with pytest.raises(urllib.error.URLError, match="networking is off"):
            fetch(guarded_opener(lambda: None), f"http://127.0.0.1:{port}/x")
        assert seen == []


def test_the_switch_is_asked_at_every_request() -> None:
    state = {"policy": DestinationPolicy("all")}
    opener = guarded_opener(lambda: state["policy"])
    with target() as (port, seen):
        fetch(opener, f"http://127.0.0.1:{port}/a")
        state["policy"] = None
        with pytest.raises(urllib.error.URLError):
            fetch(opener, f"http://127.0.0.1:{port}/b")
        assert seen == [f"127.0.0.1:{port} /a"]


def test_block_private_addresses_refuses_loopback_and_localhost() -> None:
    with target() as (port, seen):
        opener = guarded_opener(lambda: DestinationPolicy("public"))
        for host in ("127.0.0.1", "localhost"):
            with pytest.raises(urllib.error.URLError, match="private|blocked|not allowed|public"):
                fetch(opener, f"http://{host}:{port}/x")
        assert seen == []


def test_every_redirect_hop_is_checked() -> None:
    with target() as (other, other_seen), target(redirect_to=f"http://127.0.0.1:{other}/next") as (first, seen):
        opener = guarded_opener(lambda: DestinationPolicy("list", (f"127.0.0.1:{first}",)))
        with pytest.raises(urllib.error.URLError):
            fetch(opener, f"http://127.0.0.1:{first}/x")
        assert len(seen) == 1 and other_seen == []  # the hop to the other port never connected


@pytest.mark.parametrize("scheme_url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "data:,x"])
def test_only_http_and_https_are_opened(scheme_url: str) -> None:
    with pytest.raises(urllib.error.URLError):
        fetch(guarded_opener(lambda: DestinationPolicy("all")), scheme_url)
    with target(redirect_to=scheme_url) as (port, _seen), pytest.raises(urllib.error.URLError):
        fetch(guarded_opener(lambda: DestinationPolicy("all")), f"http://127.0.0.1:{port}/x")
