"""The proxy child (``python -m webr_desktop.net.proxy_main``, real websockify) against hostile
clients on loopback: nobody without the secret holds a process, the SOCKS5 handshake has a
deadline and answers bad names, a reset target reaches the client as a reset. No Qt, no webR."""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.webengine.net_targets import http_target
from webr_desktop.net import proxy_main, socks
from webr_desktop.net.tokens import ORIGIN_ENV, POLICY_ENV, SECRET_ENV

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ORIGIN = "http://127.0.0.1:1"
SECRET = "s3cret-for-tests"
UPGRADE_SECONDS = 1.0
MAX_CONNECTIONS = 4
SOCKS_SECONDS = 1.0


@dataclass
class Proxy:
    process: subprocess.Popen
    port: int

    def children(self) -> list[int]:
        """Live (not zombie) per-connection children of the proxy, from /proc."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                state, parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, ValueError):
                continue
            if parent == str(self.process.pid) and state != "Z":
                found.append(int(entry.name))
        return found


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    env = dict(os.environ, **{
        SECRET_ENV: SECRET, ORIGIN_ENV: ORIGIN, POLICY_ENV: "all", "PYTHONUNBUFFERED": "1",
        proxy_main.UPGRADE_ENV: str(UPGRADE_SECONDS), proxy_main.MAX_CONNECTIONS_ENV: str(MAX_CONNECTIONS),
        proxy_main.SOCKS_ENV: str(SOCKS_SECONDS),
    })
    process = subprocess.Popen([sys.executable, "-m", "webr_desktop.net.proxy_main"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 20)
        line = process.stdout.readline().decode() if ready else ""
        assert line.startswith("PORT "), line
        yield Proxy(process, int(line.split()[1]))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def _upgrade(port: int, token: str, origin: str = ORIGIN) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall((
        f"GET /?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\nOrigin: {origin}\r\n\r\n"
    ).encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        data = sock.recv(4096)
        if not data:
            break
        reply += data
    return sock, reply


def _frame(payload: bytes, opcode: int = 2) -> bytes:
    """A masked client frame (RFC 6455)."""
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class _Frames:
    """Server frames off a socket: binary payloads and the close code (None: no close frame)."""

    def __init__(self, sock: socket.socket, bound: float = 20.0) -> None:
        self.sock, self.buf, self.deadline = sock, b"", time.monotonic() + bound

    def _need(self, n: int) -> bool:
        while len(self.buf) < n:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                raise TimeoutError("the proxy kept the connection open")
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                return False
            self.buf += data
        return True

    def next(self) -> tuple[int, bytes] | None:
        """(opcode, payload) of the next frame; None at the end of the TCP stream."""
        if not self._need(2):
            return None
        n = self.buf[1] & 0x7F
        start = 2 + {126: 2, 127: 8}.get(n, 0)
        if not self._need(start):
            return None
        if n >= 126:
            n = int.from_bytes(self.buf[2:start], "big")
        if not self._need(start + n):
            return None
        opcode, payload, self.buf = self.buf[0] & 0x0F, self.buf[start:start + n], self.buf[start + n:]
        return opcode, payload

    def until_close(self) -> tuple[bytes, int | None]:
        """All data until the close frame (its code) or the end of the stream (None)."""
        data = b""
        while (frame := self.next()) is not None:
            opcode, payload = frame
            if opcode == 8:
                return data, struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            data += payload
        return data, None


def _closed_by_peer(sock: socket.socket, deadline: float) -> bool:
    """Whether the proxy closed ``sock`` before ``deadline`` (reads and drops any bytes)."""
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([sock], [], [], left)[0]:
            return False
        try:
            if not sock.recv(4096):
                return True
        except ConnectionResetError:
            return True
    return False


def test_half_sent_upgrades_lose_their_child_and_the_children_are_capped(proxy: Proxy) -> None:
    """Twelve connections that send one byte: each child ends within its upgrade deadline, at
    most MAX_CONNECTIONS exist at once, and a real client still gets through afterwards."""
    socks_ = [socket.create_connection(("127.0.0.1", proxy.port), timeout=5) for _ in range(12)]
    for s in socks_:
        s.sendall(b"G")
    deadline = time.monotonic() + 10 * 12 / MAX_CONNECTIONS * UPGRADE_SECONDS + 10  # only a hang breaks it
    most = 0
    pending = list(socks_)
    while pending and time.monotonic() < deadline:
        most = max(most, len(proxy.children()))
        ready, _, _ = select.select(pending, [], [], 0.2)
        for s in ready:
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                pending.remove(s)
    for s in socks_:
        s.close()
    assert not pending, f"{len(pending)} connections still held by the proxy"
    assert 0 < most <= MAX_CONNECTIONS
    with http_target() as port:
        sock, reply = _upgrade(proxy.port, f"{SECRET}@127.0.0.1:{port}")
        sock.close()
    assert reply.startswith(b"HTTP/1.1 101")


def test_refused_and_slow_clients_leave_no_child(proxy: Proxy) -> None:
    sock, reply = _upgrade(proxy.port, "wrong@127.0.0.1:80")
    assert not reply.startswith(b"HTTP/1.1 101")
    assert _closed_by_peer(sock, time.monotonic() + 10 * UPGRADE_SECONDS)
    sock.close()
    # One header line a second: each read is quick, the whole request never completes.
    slow = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    slow.sendall(b"GET /?token=x HTTP/1.1\r\n")
    end = time.monotonic() + 10 * UPGRADE_SECONDS
    closed = False
    while not closed and time.monotonic() < end:
        closed = _closed_by_peer(slow, time.monotonic() + 0.3)
        if not closed:
            try:
                slow.sendall(b"X-Drip: 1\r\n")
            except OSError:
                closed = True
    slow.close()
    assert closed
    end = time.monotonic() + 10 * UPGRADE_SECONDS
    while proxy.children() and time.monotonic() < end:
        select.select([], [], [], 0.1)
    assert proxy.children() == []


def _socks(proxy: Proxy, target: str = "localhost:8580") -> tuple[socket.socket, _Frames]:
    sock, reply = _upgrade(proxy.port, f"{SECRET}@{target}")
    assert reply.startswith(b"HTTP/1.1 101"), reply
    return sock, _Frames(sock)


def test_socks5_connect_relays_and_ends_with_a_clean_close(proxy: Proxy) -> None:
    with http_target() as port:
        sock, frames = _socks(proxy)
        sock.sendall(_frame(b"\x05\x01\x00"))
        assert frames.next() == (2, b"\x05\x00")
        request = b"\x05\x01\x00\x01\x7f\x00\x00\x01" + port.to_bytes(2, "big")
        sock.sendall(_frame(request + b"GET /0 HTTP/1.0\r\n\r\n"))  # data right behind the request
        assert frames.next() == (2, socks.reply(socks.SUCCEEDED))
        data, code = frames.until_close()
        sock.close()
    assert data.startswith(b"HTTP/1.0 200") and data.endswith(b"hello") and code == 1000


def test_a_stalled_socks5_handshake_times_out(proxy: Proxy) -> None:
    sock, frames = _socks(proxy)
    sock.sendall(_frame(b"\x05\x01\x00"))
    assert frames.next() == (2, b"\x05\x00")
    sock.sendall(_frame(b"\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50")[:3])  # half a WebSocket frame
    data, code = frames.until_close()  # old code: blocked in recv for ever (TimeoutError here)
    assert code == 1008 and data == socks.reply(socks.GENERAL_FAILURE)
    sock.close()


@pytest.mark.parametrize("name", [b"a" * 255, "bücher.example".encode(), b"a..b", b"\xff\xfe"])
def test_a_bad_socks5_name_gets_a_socks_failure_reply(proxy: Proxy, name: bytes) -> None:
    sock, frames = _socks(proxy)
    sock.sendall(_frame(b"\x05\x01\x00"))
    assert frames.next() == (2, b"\x05\x00")
    sock.sendall(_frame(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + b"\x00\x50"))
    data, code = frames.until_close()
    assert data == socks.reply(socks.HOST_UNREACHABLE) and code == 1008
    sock.close()


def test_only_localhost_8580_is_the_socks_endpoint(proxy: Proxy) -> None:
    for target in ("__socks5__:1234", "__socks5__:8580", "/socks5:8580"):
        sock, reply = _upgrade(proxy.port, f"{SECRET}@{target}")
        sock.close()
        assert not reply.startswith(b"HTTP/1.1 101"), target


def test_a_target_reset_reaches_the_client_as_a_reset_not_a_clean_close(proxy: Proxy) -> None:
    payload = bytes(range(187))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        sock, reply = _upgrade(proxy.port, f"{SECRET}@127.0.0.1:{port}")
        assert reply.startswith(b"HTTP/1.1 101")
        conn, _ = listener.accept()
        conn.sendall(payload)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # RST instead of FIN
        data, code = _Frames(sock).until_close()
        sock.close()
        assert data == payload and code == proxy_main.CLOSE_RESET
        # A clean close stays a clean close (1000): R reads it as the end of the data.
        sock, reply = _upgrade(proxy.port, f"{SECRET}@127.0.0.1:{port}")
        conn, _ = listener.accept()
        conn.sendall(payload)
        conn.close()
        data, code = _Frames(sock).until_close()
        sock.close()
        assert data == payload and code == 1000
