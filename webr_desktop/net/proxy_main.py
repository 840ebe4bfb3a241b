"""The proxy child: ``python -m webr_desktop.net.proxy_main`` (see NetworkService).

It runs websockify's own ``WebSocketProxy`` (it needs a main thread and forks per connection,
so it can't live inside the Qt process) with our token plugin and websockify's ExpectOrigin
auth plugin. It binds 127.0.0.1 on a free port itself and prints ``PORT <n>`` on stdout, so
the port is never guessed and raced. The secret and policy come from the environment, never
from the command line (other users can read command lines).
"""

from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import socket
import sys
import time

from websockify import auth_plugins
from websockify.websocketproxy import ProxyRequestHandler, WebSocketProxy
from websockify.websockifyserver import WebSockifyServer

from webr_desktop.net import socks
from webr_desktop.net.tokens import ORIGIN_ENV, REFUSED_TARGET, SOCKS_TARGET, PolicyError, TokenPlugin

HANDSHAKE_TIMEOUT = 10.0
CLOSE_POLICY = 4403  # application close code: SOCKS destination refused by policy


class RouterHandler(ProxyRequestHandler):
    """websockify's handler plus the two marker targets: policy refusals and SOCKS5."""

    _target: socket.socket | None = None
    # Every WebSocket message costs webR's worker one synchronous round trip to the page, so
    # fewer, larger messages are what make R's reads fast: read up to 1 MiB from the target
    # per message (stock websockify: 64 KiB).
    buffer_size = 1 << 20

    def __init__(self, *args: object, **kwargs: object) -> None:
        # We run in the per-connection child websockify forked: a fork drops the parent's
        # death signal, so set ours, or a SIGKILLed proxy would leave this child proxying.
        _die_with_parent()
        super().__init__(*args, **kwargs)

    def validate_connection(self) -> None:
        """Token check, then connect to the target *before* answering the upgrade: stock
        websockify accepts first and closes later, so R would see a refused port as a
        connection that opens and hits EOF. Refusing the upgrade makes connect() fail."""
        super().validate_connection()
        self.auth_connection()  # Origin before we touch any target (websockify checks it after)
        host, port = self.server.target_host, self.server.target_port
        if host == REFUSED_TARGET:
            raise self.server.EClose(self.server.token_plugin.last_refusal or "blocked by the network policy")
        if host == SOCKS_TARGET:
            return
        try:
            self._target = WebSockifyServer.socket(host, port, connect=True)
        except OSError as exc:
            raise self.server.EClose(f"cannot connect to {host}:{port}: {exc}") from None

    def new_websocket_client(self) -> None:
        if self.server.target_host == SOCKS_TARGET:
            return self._socks5()
        target, self._target = self._target, None
        if target is None:
            raise self.CClose(1011, "no target")
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        target.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.do_proxy(target)
        finally:
            try:
                target.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            target.close()

    def _read_more(self, buf: bytes, deadline: float) -> bytes:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self.CClose(1008, "SOCKS5 handshake timed out")
            if not self.request.pending():
                select.select([self.request], [], [], left)
            bufs, closed = self.recv_frames()
            if closed:
                raise self.CClose(1000, "client closed")
            if bufs:
                return buf + b"".join(bufs)

    def _socks5(self) -> None:
        deadline = time.monotonic() + HANDSHAKE_TIMEOUT
        buf = b""
        try:
            while (greeting := socks.parse_greeting(buf)) is None:
                buf = self._read_more(buf, deadline)
            answer, used = greeting
            buf = buf[used:]
            self.send_frames([answer])
            if answer[1] == socks.NO_ACCEPTABLE:
                raise self.CClose(1008, "SOCKS5: no acceptable auth method")
            while (request := socks.parse_request(buf)) is None:
                buf = self._read_more(buf, deadline)
        except socks.SocksError as exc:
            if exc.reply is not None:
                self.send_frames([socks.reply(exc.reply)])
            raise self.CClose(1008, str(exc)) from None
        host, port, used = request
        rest = buf[used:]
        try:
            address = self.server.token_plugin.policy.resolve(host, port)
        except PolicyError as exc:
            self.send_frames([socks.reply(socks.NOT_ALLOWED)])
            raise self.CClose(CLOSE_POLICY, str(exc)[:120]) from None
        try:
            target = WebSockifyServer.socket(address, port, connect=True)
        except OSError as exc:
            code = socks.CONNECTION_REFUSED if isinstance(exc, ConnectionRefusedError) else socks.HOST_UNREACHABLE
            self.send_frames([socks.reply(code)])
            raise self.CClose(1011, "SOCKS5 target unreachable") from None
        try:
            target.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.send_frames([socks.reply(socks.SUCCEEDED)])
            if rest:
                target.sendall(rest)
            self.do_proxy(target)
        finally:
            target.close()


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
    origin = os.environ.get(ORIGIN_ENV, "")
    if not origin:
        print("webr-desktop proxy: no allowed Origin given", file=sys.stderr)
        return 2
    plugin = TokenPlugin()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    server = WebSocketProxy(
        RequestHandlerClass=RouterHandler,
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
