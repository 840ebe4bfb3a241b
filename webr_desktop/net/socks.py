"""A minimal SOCKS5 (RFC 1928) CONNECT responder, as pure functions over bytes.

The proxy child speaks it on WebSockets whose target is ``localhost:8580`` (webR's default
``ALL_PROXY``), so no SOCKS port ever listens: the endpoint is reachable only through the
secret- and Origin-locked proxy. Only what curl and R need: no auth, CONNECT, IPv4/IPv6/name.
(python-socks and pproxy were considered: the first is a client only, the second a whole
asyncio server that would need its own listening port, which is what we avoid.)
"""

from __future__ import annotations

import ipaddress
import re
import struct

VERSION = 5
NO_AUTH = 0x00
NO_ACCEPTABLE = 0xFF
CMD_CONNECT = 0x01
ATYP_IPV4, ATYP_NAME, ATYP_IPV6 = 0x01, 0x03, 0x04
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,253}$")

SUCCEEDED = 0x00
GENERAL_FAILURE = 0x01
NOT_ALLOWED = 0x02
HOST_UNREACHABLE = 0x04
CONNECTION_REFUSED = 0x05
COMMAND_NOT_SUPPORTED = 0x07
ATYP_NOT_SUPPORTED = 0x08


class SocksError(Exception):
    """A malformed or unsupported request; ``reply`` is the code to answer with (or None)."""

    def __init__(self, message: str, reply: int | None = None) -> None:
        super().__init__(message)
        self.reply = reply


def parse_greeting(buf: bytes) -> tuple[bytes, int] | None:
    """(answer, bytes used) for the method-selection message, or None if incomplete."""
    if len(buf) < 2:
        return None
    if buf[0] != VERSION:
        raise SocksError(f"not SOCKS5 (version byte {buf[0]})")
    used = 2 + buf[1]
    if len(buf) < used:
        return None
    methods = buf[2:used]
    if NO_AUTH not in methods:
        return bytes([VERSION, NO_ACCEPTABLE]), used
    return bytes([VERSION, NO_AUTH]), used


def parse_request(buf: bytes) -> tuple[str, int, int] | None:
    """(host, port, bytes used) for a CONNECT request, or None if incomplete."""
    if len(buf) < 5:
        return None
    ver, cmd, _rsv, atyp = buf[:4]
    if ver != VERSION:
        raise SocksError("bad SOCKS5 request version", GENERAL_FAILURE)
    if atyp == ATYP_IPV4:
        end = 4 + 4
        host = str(ipaddress.IPv4Address(buf[4:end])) if len(buf) >= end else ""
    elif atyp == ATYP_IPV6:
        end = 4 + 16
        host = str(ipaddress.IPv6Address(buf[4:end])) if len(buf) >= end else ""
    elif atyp == ATYP_NAME:
        end = 5 + buf[4]
        host = ""
    else:
        raise SocksError("address type not supported", ATYP_NOT_SUPPORTED)
    if len(buf) < end + 2:
        return None
    if atyp == ATYP_NAME:
        host = _name(buf[5:end])
    if cmd != CMD_CONNECT:
        raise SocksError("only CONNECT is supported", COMMAND_NOT_SUPPORTED)
    (port,) = struct.unpack("!H", buf[end : end + 2])
    if not host or port == 0:
        raise SocksError("bad destination", GENERAL_FAILURE)
    return host, port, end + 2


def _name(raw: bytes) -> str:
    """A destination name as the resolver will take it; SocksError (with a reply) for a name
    the IDNA codec would refuse later: non-ASCII, a label over 63 characters, an empty label."""
    try:
        name = raw.decode("ascii")
        name.encode("idna")
    except UnicodeError:
        raise SocksError("bad destination name", HOST_UNREACHABLE) from None
    if not _NAME.match(name):
        raise SocksError("bad destination name", HOST_UNREACHABLE)
    return name


def reply(code: int, bound: tuple[str, int] = ("0.0.0.0", 0)) -> bytes:
    """The server's reply to CONNECT with the bound address (zeros are fine for clients)."""
    ip = ipaddress.ip_address(bound[0])
    atyp = ATYP_IPV4 if ip.version == 4 else ATYP_IPV6
    return bytes([VERSION, code, 0, atyp]) + ip.packed + struct.pack("!H", bound[1])
