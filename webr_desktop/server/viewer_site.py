"""The Viewer's own loopback origin: HTML that R wrote, served where it can reach nothing else.

HTML from R is untrusted (an htmlwidget, a report, a page a package wrote). It is served by
this second server, on its own random port, so its origin differs from the app's page server:
the page learns no secret (none is in its URL, its files or this server), it can't read the
app server's answers (no CORS there), and the app server and the websockify child refuse
it (no secret, wrong Origin). This server has no API at all: it answers GET/HEAD of files
published under a fresh, unguessable path per page, and nothing else.

A page arrives as a ``.tar.gz`` of the folder R wrote it in (the page plus its ``lib/``
dependencies). Only regular files and folders are unpacked, every name confined to the
page's folder, with a size cap.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import socketserver
import stat
import tarfile
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

logger = logging.getLogger(__name__)

MAX_SITE_BYTES = 512 * 1024 * 1024  # unpacked size of one page and its dependencies
MAX_MEMBERS = 20_000
CHUNK = 1 << 20
TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon", ".woff": "font/woff",
    ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf", ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8", ".map": "application/json", ".wasm": "application/wasm",
    ".pdf": "application/pdf", ".xml": "application/xml",
}


class SiteError(Exception):
    """A page that can't be shown (a hostile or oversized archive): the message says why."""


@dataclass(frozen=True)
class PublishedPage:
    token: str
    folder: Path  # where the page's files are on the host
    entry: str  # the page's file name inside ``folder`` (posix, relative)
    url: str  # what the Viewer loads


def _safe_name(name: str) -> str | None:
    """The member's path inside the page folder, or None if it would leave it."""
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if not parts or name.startswith("/") or any(p == ".." or "\\" in p or "\x00" in p for p in parts):
        return None
    return "/".join(parts)


def unpack_site(data: bytes, dest: Path) -> None:
    """Unpack a page archive into the empty folder ``dest``; refuse anything not a plain file
    or folder, any name outside ``dest``, and more than ``MAX_SITE_BYTES``."""
    total = 0
    try:
        with tarfile.open(fileobj=BytesIO(data), mode="r:*") as tar:
            members = tar.getmembers()
            if len(members) > MAX_MEMBERS:
                raise SiteError(f"the page has more than {MAX_MEMBERS} files")
            for member in members:
                name = _safe_name(member.name)
                if name is None:
                    raise SiteError(f"the page archive names a path outside its folder: {member.name!r}")
                if member.isdir():
                    (dest / name).mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isfile():
                    raise SiteError(f"the page archive holds a link or special file: {member.name!r}")
                total += member.size
                if total > MAX_SITE_BYTES:
                    raise SiteError(f"the page and its files are over {MAX_SITE_BYTES // (1 << 20)} MB")
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                with source, open(target, "xb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise SiteError(f"the page archive can't be read: {exc}") from exc


class ViewerSite:
    """Pages published for the Viewer, each under its own random path on a private origin."""

    def __init__(self, root: Path | None = None) -> None:
        self._tmp = None if root is not None else tempfile.TemporaryDirectory(prefix="webr-desktop-viewer-")
        self.root = root if root is not None else Path(self._tmp.name)
        self._pages: dict[str, PublishedPage] = {}
        self._lock = threading.Lock()
        self._server = _SiteHTTPServer(self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="viewer-site", daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def publish(self, archive: bytes, entry: str) -> PublishedPage:
        """Unpack a page archive under a fresh token; ``entry`` names the page inside it."""
        name = _safe_name(entry)
        if name is None:
            raise SiteError(f"not a page inside its folder: {entry!r}")
        token = secrets.token_urlsafe(24)
        folder = self.root / token
        folder.mkdir()
        try:
            unpack_site(archive, folder)
            if not (folder / name).is_file():
                raise SiteError(f"the page {entry!r} is not in what R sent")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        page = PublishedPage(token, folder, name, f"{self.origin}/{token}/{name}")
        with self._lock:
            self._pages[token] = page
        return page

    def page_for(self, url: str) -> PublishedPage | None:
        """The published page a URL of this site belongs to (None: another origin)."""
        prefix = self.origin + "/"
        if not url.startswith(prefix):
            return None
        with self._lock:
            return self._pages.get(url[len(prefix):].split("/", 1)[0])

    def locate(self, url: str) -> tuple[Path, str] | None:
        """(the page's folder on the host, the file the URL names in it), or None."""
        page = self.page_for(url)
        if page is None:
            return None
        rest = url[len(self.origin) + 2 + len(page.token):].split("?", 1)[0].split("#", 1)[0]
        return page.folder, unquote(rest) or page.entry

    def _open(self, path: str) -> tuple[int, str] | None:
        """An fd of a published regular file and its type, opened without following links."""
        parts = [unquote(p) for p in path.split("?", 1)[0].split("#", 1)[0].split("/") if p]
        if len(parts) < 2 or any(p in (".", "..") or "\x00" in p for p in parts):
            return None
        with self._lock:
            page = self._pages.get(parts[0])
        if page is None:
            return None
        fd = os.open(page.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            for part in parts[1:-1]:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = nxt
            file_fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        except OSError:
            return None
        finally:
            os.close(fd)
        if not stat.S_ISREG(os.fstat(file_fd).st_mode):
            os.close(file_fd)
            return None
        return file_fd, TYPES.get(Path(parts[-1]).suffix.lower(), "application/octet-stream")


class _SiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, site: ViewerSite) -> None:
        self.site = site
        super().__init__(("127.0.0.1", 0), _SiteHandler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no getfqdn(): it can stall on reverse DNS
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        logger.debug("viewer connection error from %s", client_address, exc_info=True)


class _SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "webr-desktop-viewer"
    sys_version = ""
    timeout = 30
    server: _SiteHTTPServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        logger.debug("viewer %s", format % args)

    def _plain(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _serve(self) -> None:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or hosts[0] != f"127.0.0.1:{self.server.server_port}":
            return self._plain(403, "forbidden")  # DNS rebinding guard
        opened = self.server.site._open(self.path)
        if opened is None:
            return self._plain(404, "not found")
        fd, content_type = opened
        with os.fdopen(fd, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(size))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            if self.command != "HEAD":
                with contextlib.suppress(ConnectionError):
                    shutil.copyfileobj(f, self.wfile, CHUNK)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._serve()

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._serve()

    def _refuse(self) -> None:
        self._plain(405, "method not allowed")

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse  # noqa: N815


__all__ = ["PublishedPage", "SiteError", "ViewerSite"]
