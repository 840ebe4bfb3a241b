"""Fetch http(s) URLs for R's download.file()/url()/readLines(url): the server does the request.

webR's own download.file uses a sync XHR from the page's origin, so it only works where the
remote server sends CORS headers. Here R's worker POSTs to our loopback server (same origin),
and this module fetches the URL and hands the body back in chunks so a large file never sits
in memory whole. Stdlib only (no Qt): the server layer.

R code can post here itself, so every promise is kept here, at the moment of use: nothing is
fetched while networking is off; each hop (redirects are followed here, not by a library) must
be http(s) and pass the same destination policy as the proxy, and the connection goes to the
address the policy approved (resolved once: a name that resolves differently later can't slip
past). A bad request, a bad answer or a short body is an error R shows, never a 500 or a 200.

Protocol (JSON request body, route ``api/fetch`` under the URL secret):
  {"op": "open", "url": U, "headers": {...}, "timeout": s} → JSON {"id", "status", "size",
                                                 "url", "type"} or {"error": text, "status": code}
  {"op": "read", "id": I}                     → up to CHUNK raw bytes; b"" at the end
  {"op": "close", "id": I}                    → JSON null
  {"op": "get", "url": U}                     → the whole body, with the remote status code
                                                 (R's own url()/file() reads: readLines(U), …)
"""

from __future__ import annotations

import http.client
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from webr_desktop.net.tokens import DestinationPolicy
from webr_desktop.server.json_body import json_object
from webr_desktop.server.fetch_http import FetchError, open_url

FETCH_PATH = "api/fetch"
CHUNK = 4 * 1024 * 1024
IDLE_SECONDS = 120.0
MAX_OPEN = 16
TIMEOUT = 60.0
MAX_TIMEOUT = 86_400.0  # a socket timeout larger than this overflows on some platforms
MAX_GET = 512 * 1024 * 1024  # one "get" holds the body in memory: larger files use download.file
OFF_MESSAGE = "networking is off: turn it on with Session \u25b8 Network"

Progress = Callable[[str, int, int], None]  # (url, bytes done, total or -1)
PolicyGate = Callable[[], "DestinationPolicy | None"]  # the policy now; None while networking is off


@dataclass
class _Download:
    url: str
    response: http.client.HTTPResponse
    total: int
    done: int = 0
    touched: float = field(default_factory=time.monotonic)


def _json(value: object, status: int = 200) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(value).encode()


def _timeout(value: object) -> float:
    if value is None:
        return TIMEOUT
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise FetchError(f"invalid timeout {value!r}: give a positive number of seconds")
    return min(float(value), MAX_TIMEOUT)


class FetchService:
    """Open downloads by id; ``handle`` is a LocalServer handler (call from any thread).

    ``policy`` is asked at every request for the destination policy in force, or None while
    networking is off (the Network switch, ``run --no-network``)."""

    def __init__(self, policy: PolicyGate, progress: Progress | None = None) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, _Download] = {}
        self._policy = policy
        self._progress = progress

    def handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, str, bytes]:
        request = json_object(body)
        if request is None:
            return _json({"error": "bad request"}, 400)
        op = request.get("op")
        if op == "close":
            self._close(str(request.get("id", "")))
            return _json(None)
        policy = self._policy()
        if op == "open":
            try:
                return _json(self._open_url(request, policy))
            except FetchError as exc:
                return _json({"error": str(exc), "status": exc.status})
        if op == "read":
            if policy is None:  # turned off mid-download: stop it
                self._close(str(request.get("id", "")))
                return 403, "text/plain", OFF_MESSAGE.encode()
            return self._read(str(request.get("id", "")))
        if op == "get":
            return self._get(request, policy)
        return _json({"error": "unknown op"}, 400)

    def _open_url(self, request: dict, policy: DestinationPolicy | None) -> dict:
        """Open the URL (after every check) and register the download; FetchError if refused."""
        if policy is None:
            raise FetchError(OFF_MESSAGE)
        url = request.get("url")
        if not isinstance(url, str):
            raise FetchError("the URL must be a string")
        extra = request.get("headers") or {}
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in [*extra, *extra.values()]):
            raise FetchError("headers must be a named list of strings")
        timeout = _timeout(request.get("timeout"))
        self._expire()
        response, final_url, total = open_url(url, extra, timeout, policy)
        download_id = secrets.token_hex(8)
        with self._lock:
            if len(self._open) >= MAX_OPEN:
                response.close()
                raise FetchError("too many downloads at once")
            self._open[download_id] = _Download(final_url, response, total)
        return {"id": download_id, "status": response.status, "size": total, "url": final_url,
                "type": response.getheader("Content-Type", "")}

    def _get(self, request: dict, policy: DestinationPolicy | None) -> tuple[int, str, bytes]:
        """The whole body at once, for an XHR that R's C code made: the status passes through
        (so R reports a 404 as it would); 403 while off; 502 with the reason otherwise."""
        try:
            opened = self._open_url(request, policy)
        except FetchError as exc:
            status = exc.status or (403 if policy is None else 502)
            return status, "text/plain", str(exc).encode()
        try:
            chunks, size = [], 0
            while True:
                status, _type, data = self._read(opened["id"])
                if status != 200:
                    return status, "text/plain", data
                if not data:
                    break
                chunks.append(data)
                size += len(data)
                if size > MAX_GET:
                    return 413, "text/plain", b"too large to read at once: use download.file()"
        finally:
            self._close(opened["id"])
        return opened["status"], opened["type"] or "application/octet-stream", b"".join(chunks)

    def _read(self, download_id: str) -> tuple[int, str, bytes]:
        with self._lock:
            item = self._open.get(download_id)
        if item is None:
            return 404, "text/plain", b"no such download"
        try:
            data = item.response.read(CHUNK)
        except (OSError, http.client.HTTPException) as exc:
            self._close(download_id)
            return 502, "text/plain", f"download failed after {item.done} bytes: {exc!r}".encode()
        item.done += len(data)
        item.touched = time.monotonic()
        if self._progress is not None:
            self._progress(item.url, item.done, item.total)
        if not data:
            self._close(download_id)
            if 0 <= item.total != item.done:  # http.client reads a short body as a clean end
                return 502, "text/plain", (
                    f"download incomplete: the server closed after {item.done} of {item.total} bytes").encode()
        return 200, "application/octet-stream", data

    def _close(self, download_id: str) -> None:
        with self._lock:
            item = self._open.pop(download_id, None)
        if item is not None:
            item.response.close()

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            stale = [k for k, d in self._open.items() if now - d.touched > IDLE_SECONDS]
        for key in stale:
            self._close(key)

    def close_all(self) -> None:
        with self._lock:
            keys = list(self._open)
        for key in keys:
            self._close(key)

