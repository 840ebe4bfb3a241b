"""Fetch http(s) URLs for R's download.file()/url(): the server does the request, not the page.

webR's own download.file uses a sync XHR from the page's origin, so it only works where the
remote server sends CORS headers. Here R's worker POSTs to our loopback server (same origin),
and this module fetches with urllib, following redirects, and hands the body back in chunks so
a large file never sits in memory whole. Stdlib only (no Qt): the server layer.

Protocol (JSON request body, route ``api/fetch`` under the URL secret):
  {"op": "open", "url": U, "headers": {...}}  → JSON {"id", "status", "size", "url", "type"}
                                                 or {"error": text, "status": code}
  {"op": "read", "id": I}                     → up to CHUNK raw bytes; b"" at the end
  {"op": "close", "id": I}                    → JSON null
  {"op": "get", "url": U}                     → the whole body, with the remote status code
                                                 (R's own url()/file() reads: readLines(U), …)
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

FETCH_PATH = "api/fetch"
CHUNK = 4 * 1024 * 1024
IDLE_SECONDS = 120.0
MAX_OPEN = 16
TIMEOUT = 60.0
USER_AGENT = "webR-Desktop (download.file)"
MAX_GET = 512 * 1024 * 1024  # one "get" holds the body in memory: larger files use download.file

Progress = Callable[[str, int, int], None]  # (url, bytes done, total or -1)


@dataclass
class _Download:
    url: str
    response: Any
    total: int
    done: int = 0
    touched: float = field(default_factory=time.monotonic)


def _json(value: object, status: int = 200) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(value).encode()


class FetchService:
    """Open downloads by id; ``handle`` is a LocalServer handler (call from any thread)."""

    def __init__(self, progress: Progress | None = None, *, opener: urllib.request.OpenerDirector | None = None) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, _Download] = {}
        self._progress = progress
        self._opener = opener or urllib.request.build_opener()  # follows redirects

    def handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, str, bytes]:
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _json({"error": "bad request"}, 400)
        if not isinstance(request, dict):
            return _json({"error": "bad request"}, 400)
        op = request.get("op")
        if op == "open":
            return self._open_url(request)
        if op == "read":
            return self._read(str(request.get("id", "")))
        if op == "close":
            self._close(str(request.get("id", "")))
            return _json(None)
        if op == "get":
            return self._get(request)
        return _json({"error": "unknown op"}, 400)

    def _open_url(self, request: dict) -> tuple[int, str, bytes]:
        url = request.get("url")
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            return _json({"error": "only http and https URLs can be downloaded", "status": 0})
        self._expire()
        extra = request.get("headers") or {}
        req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        if isinstance(extra, dict):
            for name, value in extra.items():
                if isinstance(name, str) and isinstance(value, str) and "\n" not in name + value:
                    req.add_header(name, value)
        try:
            response = self._opener.open(req, timeout=float(request.get("timeout") or TIMEOUT))
        except urllib.error.HTTPError as exc:
            exc.close()
            return _json({"error": f"HTTP status was '{exc.code} {exc.reason}'", "status": exc.code})
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return _json({"error": f"cannot open URL: {reason}", "status": 0})
        total = int(response.headers.get("Content-Length") or -1)
        download_id = secrets.token_hex(8)
        with self._lock:
            if len(self._open) >= MAX_OPEN:
                response.close()
                return _json({"error": "too many downloads at once", "status": 0})
            self._open[download_id] = _Download(url, response, total)
        return _json({
            "id": download_id, "status": response.status, "size": total, "url": response.url,
            "type": response.headers.get("Content-Type", ""),
        })

    def _get(self, request: dict) -> tuple[int, str, bytes]:
        """The whole body at once, for an XHR that R's C code made: the status passes through
        (so R reports a 404 as it would), and 502 with the reason when there was no answer."""
        opened = json.loads(self._open_url(request)[2])
        if "id" not in opened:
            status = opened.get("status") or 502
            return status, "text/plain", str(opened.get("error", "")).encode()
        try:
            chunks, size = [], 0
            while data := self._read(opened["id"])[2]:
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
        except OSError as exc:
            self._close(download_id)
            return 502, "text/plain", f"download failed: {exc}".encode()
        item.done += len(data)
        item.touched = time.monotonic()
        if self._progress is not None:
            self._progress(item.url, item.done, item.total)
        if not data:
            self._close(download_id)
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
