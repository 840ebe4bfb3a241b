"""Loopback HTTP server that feeds webR to a cross-origin-isolated QtWebEngine page.

webR needs SharedArrayBuffer, so its page must be cross-origin isolated, which only
works over HTTP(S) with COOP/COEP headers on *every* response; a ``file://`` or custom
scheme will not do. Any local process (or a web page via DNS rebinding) can reach a
loopback port, so every request must prove a per-run secret and name the exact
``Host: 127.0.0.1:<port>``. The secret is in the URL path, or for webR's DriveFS (which cannot
change its URL) in a header our worker patch sends; the secret is always checked before a
byte of the body is read, and a body over its route's cap is refused (413) unread. The stock
DriveFS client's secret at the end of a JSON body is accepted only for bodies up to
``BODY_SECRET_MAX``. Stdlib only: this layer never imports Qt.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import secrets
import socket
import socketserver
import stat
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from webr_desktop.server.blob_inbox import BLOB_PATH, MAX_BLOB, BlobInbox
from webr_desktop.server import drive as drive_api
from webr_desktop.server.drive import DriveFS

logger = logging.getLogger(__name__)

Reply = tuple[int, str, bytes] | tuple[int, str, bytes, Mapping[str, str]]
Handler = Callable[[bytes, Mapping[str, str]], Reply]
StreamHandler = Callable[["BodyReader", Mapping[str, str]], Reply]

# Our own table: the system mimetypes db differs per OS and often lacks .wasm/.mjs,
# and a wrong type breaks WebAssembly.instantiateStreaming and module scripts.
MIME_TYPES: dict[str, str] = {
    ".wasm": "application/wasm",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
DEFAULT_MIME = "application/octet-stream"

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
)
IMMUTABLE_CACHE = "max-age=31536000, immutable"
NO_STORE = "no-store"
IDLE_TIMEOUT = 60.0  # seconds an idle keep-alive connection may hold a thread
BODY_SECRET_MAX = 64 * 1024  # bytes read before a secret carried in the body is known


def mime_type(path: Path | str) -> str:
    """Content-Type for a file name, independent of the platform's mimetypes db."""
    return MIME_TYPES.get(Path(path).suffix.lower(), DEFAULT_MIME)


@dataclass(frozen=True)
class _Mount:
    parts: tuple[str, ...]
    directory: Path
    immutable: bool


@dataclass(frozen=True)
class _Route:
    handler: Handler | StreamHandler
    body_secret_field: str | None
    max_body: int
    secret_header: str | None = None
    streaming: bool = False


class BodyReader:
    """A request body a streaming handler reads in pieces: never more than ``length`` bytes."""

    def __init__(self, rfile: object, length: int) -> None:
        self._rfile = rfile
        self.length = length
        self.remaining = length

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; b"" at the end or when the client hung up."""
        data = self._rfile.read(min(n, self.remaining)) if self.remaining else b""  # type: ignore[attr-defined]
        self.remaining -= len(data)
        if not data and self.remaining:
            self.remaining = -1  # hung up: the connection must not be reused
        return data


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that is quiet, exclusive on its port and can drop live connections."""

    daemon_threads = True  # close() must never wait on an idle keep-alive connection
    allow_reuse_address = False  # port 0 needs no reuse; on Windows reuse allows port theft

    def __init__(self, owner: LocalServer) -> None:
        self.owner = owner
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        super().__init__(("127.0.0.1", 0), _RequestHandler)

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind: its getfqdn() can stall on a reverse DNS lookup.
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._conn_lock:
            (self._connections.add if alive else self._connections.discard)(conn)

    def drop_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive sockets so they exit now."""
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        # Default prints a traceback to stderr; a client hanging up mid-response is routine.
        logger.debug("connection error from %s", client_address, exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    """Routes one request: Host check, then body-secret API, then URL secret, then files."""

    protocol_version = "HTTP/1.1"
    # webR's DRIVEFS requests are synchronous: headers and body leave in two writes, and
    # Nagle + delayed ACK would add ~40 ms to each one (file.exists: 45 ms -> 4 ms).
    disable_nagle_algorithm = True
    server_version = "webr-desktop"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: _HTTPServer
    _body_pending = False

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        if logger.isEnabledFor(logging.DEBUG):
            message = (format % args).replace(self.server.owner.secret, "<secret>")
            logger.debug("%s %s", self.address_string(), message)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Stdlib parse errors (400, 414, 431, 501...) also get our headers, in plain text."""
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        short = self.responses.get(code, ("error",))[0].lower()  # never echo client bytes
        self._respond(code, "text/plain; charset=utf-8", short.encode("ascii", "replace"))

    def _respond(
        self, status: int, content_type: str, body: bytes, *,
        cache: str = NO_STORE, extra: Mapping[str, str] | None = None, length: int | None = None,
    ) -> None:
        """Send status and headers, and the body unless HEAD; closes if a body went unread."""
        if self._body_pending:
            self.close_connection = True
        self.send_response(status)
        for name, value in SECURITY_HEADERS:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Cache-Control", cache)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, text: str, extra: Mapping[str, str] | None = None) -> None:
        self._respond(status, "text/plain; charset=utf-8", text.encode(), extra=extra)

    def _dispatch(self) -> None:
        # A body we never read would be parsed as the next request: close after answering.
        length = self.headers.get("Content-Length", "").strip()
        self._body_pending = bool(self.headers.get("Transfer-Encoding")) or length not in ("", "0")
        owner = self.server.owner
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or hosts[0] != f"127.0.0.1:{self.server.server_port}":
            return self._error(403, "forbidden")  # DNS rebinding guard comes first
        path = self.path.split("?", 1)[0].split("#", 1)[0]

        route = owner._route(path, absolute=True)
        if route is not None:
            return self._call(route)

        prefix = f"/{owner.secret}/"
        head, sep, rest = path.partition("/")[2].partition("/")
        if not path.startswith("/") or not sep:
            return self._error(403, "forbidden")
        if not hmac.compare_digest(f"/{head}/".encode(), prefix.encode()):
            return self._error(403, "forbidden")

        route = owner._route(rest, absolute=False)
        if route is not None:
            return self._call(route)
        if self.command not in ("GET", "HEAD"):
            return self._error(405, "method not allowed", {"Allow": "GET, HEAD"})
        self._serve_file(rest)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _dispatch
    do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _dispatch

    def _body_length(self, max_body: int) -> int | None:
        """The declared body length, or None after answering 400/411/413 (nothing read)."""
        lengths = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding") and lengths:
            self._error(400, "bad request")  # both headers: classic request smuggling
            return None
        if not lengths:
            self._error(411, "length required")
            return None
        raw = lengths[0].strip()
        if len(lengths) != 1 or not (raw.isascii() and raw.isdigit()):
            self._error(400, "bad request")
            return None
        size = int(raw)
        if size > max_body:
            self._error(413, "payload too large")
            return None
        return size

    def _read_body(self, size: int) -> bytes | None:
        """Exactly ``size`` body bytes, or None if the client went away mid-body."""
        body = self.rfile.read(size)
        self._body_pending = False
        if len(body) != size:
            self.close_connection = True
            return None  # client went away mid-body; nobody to answer
        return body

    def _call(self, route: _Route) -> None:
        """Secret first (header or URL), then the length cap, and only then the body."""
        if self.command != "POST":
            return self._error(405, "method not allowed", {"Allow": "POST"})
        secret = self.server.owner.secret.encode()
        sent = self.headers.get_all(route.secret_header) if route.secret_header else None
        in_body = False
        if sent:
            if len(sent) != 1 or not hmac.compare_digest(sent[0].encode("utf-8", "replace"), secret):
                return self._error(403, "forbidden")
        elif route.body_secret_field is not None:
            in_body = True  # the stock client: only a small body may be read before we know
        elif route.secret_header is not None:
            return self._error(403, "forbidden")
        size = self._body_length(BODY_SECRET_MAX if in_body else route.max_body)
        if size is None:
            return None
        headers = {name.lower(): value for name, value in self.headers.items()}
        reader: BodyReader | None = None
        try:
            if route.streaming:
                reader = BodyReader(self.rfile, size)
                reply = route.handler(reader, headers)  # type: ignore[arg-type]
                self._body_pending = reader.remaining != 0
            else:
                body = self._read_body(size)
                if body is None:
                    return None
                if in_body and not self._body_secret_ok(body, route.body_secret_field or ""):
                    return self._error(403, "forbidden")
                reply = route.handler(body, headers)  # type: ignore[arg-type]
            status, content_type, payload = reply[:3]
            extra = reply[3] if len(reply) == 4 else None  # type: ignore[misc]
            if not (isinstance(status, int) and isinstance(content_type, str) and isinstance(payload, bytes)):
                raise TypeError(f"handler returned {type(status)}, {type(content_type)}, {type(payload)}")
        except Exception:
            logger.exception("handler for %s failed", self.path.replace(self.server.owner.secret, "<secret>"))
            if reader is not None:
                self._body_pending = reader.remaining != 0
            return self._error(500, "internal error")
        self._respond(status, content_type, payload, extra=extra)

    def _body_secret_ok(self, body: bytes, field: str) -> bool:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return False
        value = data.get(field) if isinstance(data, dict) else None
        if not isinstance(value, str):
            return False
        return hmac.compare_digest(value.encode(), self.server.owner.secret.encode())

    def _serve_file(self, rest: str) -> None:
        decoded = unquote(rest)
        if "\x00" in decoded or "\\" in decoded:
            return self._error(400, "bad request")
        parts = decoded.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return self._error(404, "not found")
        mount = self.server.owner._find_mount(parts)
        if mount is None or len(parts) == len(mount.parts):
            return self._error(404, "not found")
        try:
            # resolve() follows symlinks, so containment also refuses links that leave the root
            target = mount.directory.joinpath(*parts[len(mount.parts) :]).resolve(strict=True)
            if not target.is_relative_to(mount.directory) or not target.is_file():
                return self._error(404, "not found")
            f = open(target, "rb")  # noqa: SIM115 - closed below
        except (OSError, RuntimeError, ValueError):
            return self._error(404, "not found")
        with f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                return self._error(404, "not found")
            size = st.st_size
            cache = IMMUTABLE_CACHE if mount.immutable else NO_STORE
            self._respond(200, mime_type(target), b"", cache=cache, length=size)
            if self.command == "HEAD" or size == 0:
                return None
            # Zero-copy where the OS allows; socket.sendfile falls back to chunked send().
            sent = self.connection.sendfile(f, 0, size)
            if sent != size:  # file shrank under us: the framing is broken
                self.close_connection = True
        return None


class LocalServer:
    """A loopback HTTP server guarded by a per-run secret; see the module docstring."""

    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_urlsafe(32)
        if not self._secret or any(c in self._secret for c in "/?#%\\ ") or not self._secret.isascii():
            raise ValueError("secret must be a non-empty URL-safe string")
        self._lock = threading.Lock()
        self._mounts: tuple[_Mount, ...] = ()
        self._routes: dict[str, _Route] = {}
        self._absolute_routes: dict[str, _Route] = {}
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.blobs = BlobInbox()  # the page's binary uploads, for Python to take by id
        self.add_handler(BLOB_PATH, self.blobs.handle, max_body=MAX_BLOB)
        self.drives = DriveFS()  # host folders for webR's DRIVEFS; empty until one is added
        self.add_handler(drive_api.DRIVE_PATH, self.drives.handle, body_secret_field="browsingContextId",
                         secret_header=drive_api.SECRET_HEADER, max_body=drive_api.MAX_JSON_BODY)
        self.add_handler(drive_api.PUT_PATH, self.drives.handle_put, secret_header=drive_api.SECRET_HEADER,
                         max_body=drive_api.MAX_PUT, streaming=True)

    @property
    def secret(self) -> str:
        return self._secret

    def mount(self, prefix: str, directory: Path, *, immutable: bool = False) -> None:
        """Serve ``directory`` at ``/<secret>/<prefix>/``; immutable for content-pinned files."""
        parts = tuple(prefix.strip("/").split("/"))
        if any(part in ("", ".", "..") or "\\" in part for part in parts):
            raise ValueError(f"bad mount prefix: {prefix!r}")
        root = Path(directory).resolve(strict=True)
        if not root.is_dir():
            raise NotADirectoryError(str(directory))
        with self._lock:
            mounts = [m for m in self._mounts if m.parts != parts] + [_Mount(parts, root, immutable)]
            # Longest prefix first, so "a/b" wins over "a" for /a/b/...
            self._mounts = tuple(sorted(mounts, key=lambda m: -len(m.parts)))

    def add_handler(
        self, path: str, handler: Handler | StreamHandler, *, body_secret_field: str | None = None,
        secret_header: str | None = None, max_body: int = 64 * 1024 * 1024, streaming: bool = False,
    ) -> None:
        """Register a POST handler under the secret prefix, or at an absolute path whose
        secret comes in ``secret_header`` (or, for small bodies, ``body_secret_field``).
        ``streaming``: the handler gets a ``BodyReader`` instead of the whole body."""
        route = _Route(handler, body_secret_field, max_body, secret_header, streaming)
        with self._lock:
            if body_secret_field is None and secret_header is None:
                key = path.strip("/")
                if not key:
                    raise ValueError("handler path must not be empty")
                self._routes = {**self._routes, key: route}
            else:
                if not path.startswith("/") or "?" in path:
                    raise ValueError("an absolute handler path must look like '/api/drive'")
                if streaming and secret_header is None:
                    raise ValueError("a streaming handler needs its secret before the body")
                self._absolute_routes = {**self._absolute_routes, path: route}

    def _route(self, path: str, *, absolute: bool) -> _Route | None:
        return (self._absolute_routes if absolute else self._routes).get(path)

    def _find_mount(self, parts: list[str]) -> _Mount | None:
        for mount in self._mounts:
            if tuple(parts[: len(mount.parts)]) == mount.parts:
                return mount
        return None

    def start(self) -> None:
        """Bind 127.0.0.1 on a random port and serve from a daemon thread."""
        with self._lock:
            if self._closed:
                raise RuntimeError("LocalServer was closed")
            if self._httpd is not None:
                raise RuntimeError("LocalServer already started")
            self._httpd = _HTTPServer(self)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                name="webr-local-server", daemon=True,
            )
            self._thread.start()
        logger.debug("serving on %s", self.origin)

    def close(self) -> None:
        """Stop serving, close the port and drop open connections; safe to call twice."""
        with self._lock:
            httpd, thread = self._httpd, self._thread
            self._closed = True
            self._thread = None
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.drop_connections()
        thread.join(timeout=5)
        self.drives.close()  # the roots' directory fds

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("LocalServer not started")
        return self._httpd.server_port

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/{self._secret}/"

    def url(self, relpath: str) -> str:
        """Absolute URL of ``relpath`` under the secret prefix."""
        return self.base_url + relpath.lstrip("/")
