"""Local targets for the network tests: an HTTP server without CORS headers and a TCP echo."""

from __future__ import annotations

import http.server
import socket
import socketserver
import struct
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager


class _Http(http.server.BaseHTTPRequestHandler):
    """GET /N → N bytes of 'x' (N=0: 'hello'); /bin/N → N pseudo-random bytes; /missing → 404;
    /to?LOCATION → 302 there; /badlength → 'Content-Length: abc'; /short/N → N promised, half
    sent. Every request's Host header is appended to ``requests`` (the tests count hits)."""

    protocol_version = "HTTP/1.0"
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.requests.append(f"{self.headers.get('Host')} {self.path}")
        path, _, query = self.path.partition("?")
        if path == "/to":
            self.send_response(302)
            self.send_header("Location", urllib.parse.unquote(query))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/badlength":
            self.send_response(200)
            self.send_header("Content-Length", "abc")
            self.end_headers()
            self.wfile.write(b"hello")
            return None
        if path.startswith("/short/"):
            n = int(path[7:])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.write(pattern(n // 2))
            return None
        if path == "/missing":
            return self._send(404, b"no")
        if path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/bin/1000")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path.startswith("/bin/"):
            return self._send(200, pattern(int(path[5:])))
        n = int(path.strip("/") or "0")
        return self._send(200, b"x" * n if n else b"hello")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def pattern(n: int) -> bytes:
    """Deterministic binary bytes covering every byte value (so R can rebuild them)."""
    return bytes((i * 7 + (i >> 8)) & 0xFF for i in range(n))


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class _ThreadingTCP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def http_target(requests: list[str] | None = None) -> Iterator[int]:
    """An HTTP target on 127.0.0.1; its port. ``requests`` collects 'Host path' per request."""
    handler = type("_Http", (_Http,), {"requests": requests if requests is not None else []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with _serving(server):
        yield server.server_address[1]


@contextmanager
def echo_target() -> Iterator[int]:
    server = _ThreadingTCP(("127.0.0.1", 0), _Echo)
    with _serving(server):
        yield server.server_address[1]


@contextmanager
def _serving(server: socketserver.BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def blackhole_target() -> Iterator[int]:
    """A port whose connect() never completes: the listener's accept queue (length 1) is full,
    so the kernel drops further SYNs and the connecting side waits for its own timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            yield port


@contextmanager
def sending_target(payload: bytes, *, reset: bool) -> Iterator[tuple[int, threading.Event]]:
    """A TCP target that waits for a byte from each connection, sends ``payload``, sets the
    event, then either resets the connection (RST: ``reset``) or holds it open until the end."""
    sent = threading.Event()
    done = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(1)
            conn.sendall(payload)
            if reset:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                sent.set()
            else:
                sent.set()
                done.wait(60)
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], sent
    finally:
        done.set()
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept()
        except OSError:
            pass
        listener.close()
        thread.join(5)


def free_port() -> int:
    """A port nobody listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
