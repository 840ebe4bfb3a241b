"""Binary payloads the page POSTs for Python: exported plot files, quick-plot arrays.

QWebChannel carries text only (base64 would inflate and copy every byte twice), so the page
POSTs raw bytes to ``/<secret>/api/blob`` with an ``X-Blob-Id`` header, then tells Python the
id over the channel; Python takes the bytes here. Unclaimed payloads expire, and the total held
is capped, so a page that never reports an id can't grow memory without bound.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping

BLOB_PATH = "api/blob"
MAX_BLOB = 1024 * 1024 * 1024  # one exported file or array
_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


class BlobInbox:
    """Thread-safe store of uploaded bytes by id; the server thread puts, Qt's thread takes."""

    def __init__(self, max_total: int = 2 * MAX_BLOB, ttl_s: float = 120.0) -> None:
        self._max_total = max_total
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._blobs: dict[str, tuple[bytes, float]] = {}
        self._total = 0

    def handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, str, bytes]:
        """LocalServer handler for POST /<secret>/api/blob."""
        blob_id = headers.get("x-blob-id", "")
        if not _ID.fullmatch(blob_id):
            return 400, "text/plain; charset=utf-8", b"missing or malformed X-Blob-Id"
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            if blob_id in self._blobs:
                return 409, "text/plain; charset=utf-8", b"duplicate blob id"
            if self._total + len(body) > self._max_total:
                return 507, "text/plain; charset=utf-8", b"too much unclaimed data"
            self._blobs[blob_id] = (body, now)
            self._total += len(body)
        return 200, "text/plain; charset=utf-8", b"ok"

    def take(self, blob_id: str) -> bytes | None:
        """The bytes uploaded under ``blob_id`` (once), or None if unknown or expired."""
        with self._lock:
            item = self._blobs.pop(blob_id, None)
            if item is None:
                return None
            self._total -= len(item[0])
            return item[0]

    def __len__(self) -> int:
        with self._lock:
            return len(self._blobs)

    def _expire(self, now: float) -> None:
        for blob_id, (body, born) in list(self._blobs.items()):
            if now - born > self._ttl_s:
                del self._blobs[blob_id]
                self._total -= len(body)
