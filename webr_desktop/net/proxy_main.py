"""The proxy child: ``python -m webr_desktop.net.proxy_main`` (see NetworkService).

It runs websockify's own ``WebSocketProxy`` (it needs a main thread and forks per connection,
so it can't live inside the Qt process) with our token plugin and websockify's ExpectOrigin
auth plugin. It binds 127.0.0.1 on a free port itself and prints ``PORT <n>`` on stdout, so
the port is never guessed and raced. The secret and policy come from the environment, never
from the command line (other users can read command lines).

Nobody may hold a process without the secret: websockify forks a child per connection and
then reads the HTTP request with no time limit, so each child gets UPGRADE_SECONDS to present
a valid token and Origin (a SIGALRM interrupts any blocking read), and the listener accepts
no more than MAX_CONNECTIONS at once (more wait in the kernel's backlog).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from websockify import auth_plugins
from websockify.websocketproxy import ProxyRequestHandler, WebSocketProxy

from webr_desktop.net import socks
from webr_desktop.net.tokens import ORIGIN_ENV, REFUSED_TARGET, SOCKS_TARGET, PolicyError, TokenPlugin

UPGRADE_ENV = "WEBR_DESKTOP_NET_UPGRADE_SECONDS"  # the defaults below; tests make them small
MAX_CONNECTIONS_ENV = "WEBR_DESKTOP_NET_MAX_CONNECTIONS"
SOCKS_ENV = "WEBR_DESKTOP_NET_SOCKS_SECONDS"
SOCKS_SECONDS = 10.0  # SOCKS5 greeting and request, after the WebSocket upgrade
UPGRADE_SECONDS = 5.0  # from accept to a valid token and Origin
MAX_CONNECTIONS = 64  # live per-connection children (each ~2 MB of its own)
CONNECT_SECONDS = 60.0  # to the target, after authentication (R's default timeout)
CLOSE_POLICY = 4403  # application close code: SOCKS destination refused by policy
CLOSE_RESET = 4104  # the target reset the connection (ECONNRESET): R gets an error, not EOF


class _Expired(BaseException):
    """A deadline passed. Raised from SIGALRM so it interrupts a blocking read, and not an
    Exception so websockify's handlers can't swallow it."""


def _expire(_signum: int, _frame: object) -> None:
    raise _Expired()


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _connect(host: str, port: int) -> socket.socket:
    """A TCP connection to the target (bounded in time; OSError or UnicodeError on failure)."""
    sock = socket.create_connection((host, port), timeout=CONNECT_SECONDS)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class RouterHandler(ProxyRequestHandler):
    """websockify's handler plus the two marker targets: policy refusals and SOCKS5."""

    _target: socket.socket | None = None
    # Every WebSocket message costs webR's worker one synchronous round trip to the page, so
    # fewer, larger messages are what make R's reads fast: read up to 1 MiB from the target
    # per message (stock websockify: 64 KiB).
    buffer_size = 1 << 20

    def validate_connection(self) -> None:
        """Token check, then connect to the target *before* answering the upgrade: stock
        websockify accepts first and closes later, so R would see a refused port as a
        connection that opens and hits EOF. Refusing the upgrade makes connect() fail."""
        super().validate_connection()
        self.auth_connection()  # Origin before we touch any target (websockify checks it after)
        signal.setitimer(signal.ITIMER_REAL, 0)  # authenticated: the upgrade deadline is met
        host, port = self.server.target_host, self.server.target_port
        if host == REFUSED_TARGET:
            raise self.server.EClose(self.server.token_plugin.last_refusal or "blocked by the network policy")
        if host == SOCKS_TARGET:
            return
        try:
            self._target = _connect(host, port)
        except (OSError, UnicodeError) as exc:
            raise self.server.EClose(f"cannot connect to {host}:{port}: {exc}") from None

    def new_websocket_client(self) -> None:
        if self.server.target_host == SOCKS_TARGET:
            return self._socks5()
        target, self._target = self._target, None
        if target is None:
            raise self.CClose(1011, "no target")
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._proxy(target)
        finally:
            try:
                target.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            target.close()

    def _proxy(self, target: socket.socket) -> None:
        """websockify's relay; a target that resets is told to R as a reset (close code
        CLOSE_RESET), since a plain close would read as a clean end of data."""
        try:
            self.do_proxy(target)
        except OSError as exc:
            raise self.CClose(CLOSE_RESET, f"target: {exc.strerror or exc}"[:120]) from None

    def _read_more(self, buf: bytes) -> bytes:
        """The next bytes from the client; blocks (the caller's deadline interrupts)."""
        while True:
            bufs, closed = self.recv_frames()
            if closed:
                raise self.CClose(1000, "client closed")
            if bufs:
                return buf + b"".join(bufs)

    def _socks_request(self) -> tuple[str, int, bytes]:
        """Greeting and CONNECT request: (host, port, bytes after the request)."""
        buf = b""
        while (greeting := socks.parse_greeting(buf)) is None:
            buf = self._read_more(buf)
        answer, used = greeting
        buf = buf[used:]
        self.send_frames([answer])
        if answer[1] == socks.NO_ACCEPTABLE:
            raise self.CClose(1008, "SOCKS5: no acceptable auth method")
        while (request := socks.parse_request(buf)) is None:
            buf = self._read_more(buf)
        host, port, used = request
        return host, port, buf[used:]

    def _socks5(self) -> None:
        try:
            with _deadline(self.server.socks_seconds):
                host, port, rest = self._socks_request()
        except _Expired:
            self.send_frames([socks.reply(socks.GENERAL_FAILURE)])
            raise self.CClose(1008, "SOCKS5 handshake timed out") from None
        except socks.SocksError as exc:
            if exc.reply is not None:
                self.send_frames([socks.reply(exc.reply)])
            raise self.CClose(1008, str(exc)) from None
        try:
            address = self.server.token_plugin.policy.resolve(host, port)
        except PolicyError as exc:
            self.send_frames([socks.reply(socks.NOT_ALLOWED)])
            raise self.CClose(CLOSE_POLICY, str(exc)[:120]) from None
        try:
            target = _connect(address, port)
        except (OSError, UnicodeError) as exc:
            code = socks.CONNECTION_REFUSED if isinstance(exc, ConnectionRefusedError) else socks.HOST_UNREACHABLE
            self.send_frames([socks.reply(code)])
            raise self.CClose(1011, "SOCKS5 target unreachable") from None
        try:
            self.send_frames([socks.reply(socks.SUCCEEDED)])
            if rest:
                target.sendall(rest)
            self._proxy(target)
        finally:
            target.close()


class RouterProxy(WebSocketProxy):
    """websockify's server with a deadline for each child's upgrade and a cap on children."""

    def __init__(self, *args: object, upgrade_seconds: float, max_connections: int, socks_seconds: float,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.upgrade_seconds, self.max_connections = upgrade_seconds, max_connections
        self.socks_seconds = socks_seconds

    def top_new_client(self, startsock: socket.socket, address: tuple) -> None:
        """The per-connection child: dies with the proxy, and within ``upgrade_seconds``
        unless RouterHandler.validate_connection found a valid token and Origin by then."""
        # A fork drops the parent's death signal: set ours, or a SIGKILLed proxy would leave
        # this child proxying.
        _die_with_parent()
        signal.signal(signal.SIGALRM, _expire)
        signal.setitimer(signal.ITIMER_REAL, self.upgrade_seconds)
        try:
            super().top_new_client(startsock, address)
        except _Expired:
            pass  # the connection closes as the child exits
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def poll(self) -> None:
        """Runs in the listener before each accept: at the cap, wait for a child to end."""
        super().poll()
        while len(children := multiprocessing.active_children()) >= self.max_connections:
            multiprocessing.connection.wait([c.sentinel for c in children], timeout=1.0)


def _die_with_parent() -> None:
    """Linux: the kernel kills us if the app dies without stopping us (no orphan proxy)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def main() -> int:
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr, format="%(message)s")
    _die_with_parent()
    # websockify starts one multiprocessing.Process per connection and relies on fork (the
    # child inherits the accepted socket and the server object); Python 3.14 defaults to
    # forkserver, and a bundle's spawn would re-run the whole app.
    multiprocessing.set_start_method("fork", force=True)
    origin = os.environ.get(ORIGIN_ENV, "")
    if not origin:
        print("webr-desktop proxy: no allowed Origin given", file=sys.stderr)
        return 2
    plugin = TokenPlugin()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    server = RouterProxy(
        RequestHandlerClass=RouterHandler,
        upgrade_seconds=float(os.environ.get(UPGRADE_ENV) or UPGRADE_SECONDS),
        max_connections=int(os.environ.get(MAX_CONNECTIONS_ENV) or MAX_CONNECTIONS),
        socks_seconds=float(os.environ.get(SOCKS_ENV) or SOCKS_SECONDS),
        listen_fd=listener.fileno(),
        listen_host="127.0.0.1",
        listen_port=port,
        token_plugin=plugin,
        auth_plugin=auth_plugins.ExpectOrigin(origin),
        verbose=False,
    )
    print(f"PORT {port}", flush=True)
    server.start_server()
    return 0


if __name__ == "__main__":
    sys.exit(main())
