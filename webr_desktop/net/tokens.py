"""websockify token plugin: ``SECRET@host:port`` → the target, after the destination policy.

Runs inside the proxy child (stdlib only, no Qt). A wrong secret yields None, which websockify
answers by refusing the WebSocket upgrade. A right secret for a refused destination yields a
marker target so the handler can close with a reason R can show; nobody without the secret
learns anything about the policy.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import socket
from dataclasses import dataclass, field

SECRET_ENV = "WEBR_DESKTOP_NET_SECRET"
POLICY_ENV = "WEBR_DESKTOP_NET_POLICY"  # "all" | "public" | "list"
ALLOW_ENV = "WEBR_DESKTOP_NET_ALLOW"  # comma separated: host, host:port, CIDR
ORIGIN_ENV = "WEBR_DESKTOP_NET_ORIGIN"

POLICIES = ("all", "public", "list")
SOCKS_PORT = 8580  # webR's default ALL_PROXY=socks5h://localhost:8580
SOCKS_HOSTS = ("localhost", "127.0.0.1", "::1")
# Marker hosts the token plugin hands the proxy's handler. They contain "/", which
# parse_target never lets through, so no token can name them (a token host "__socks5__" once
# opened a SOCKS endpoint on any port).
SOCKS_TARGET = "/socks5"  # the handler speaks SOCKS5 itself, no port listens
REFUSED_TARGET = "/refused"  # close the WebSocket with the policy's reason
_HOST = re.compile(r"^[A-Za-z0-9._%:-]{1,253}$")  # a DNS name or an IPv4/IPv6 literal


class PolicyError(Exception):
    """The destination is not allowed; the message is shown to the R user."""


@dataclass(frozen=True)
class DestinationPolicy:
    """Which hosts R may reach: everything, public addresses only, or an allow list."""

    mode: str = "all"
    allow: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.mode not in POLICIES:
            raise ValueError(f"unknown network policy {self.mode!r}")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> DestinationPolicy:
        env = dict(os.environ) if env is None else env
        allow = tuple(a.strip() for a in env.get(ALLOW_ENV, "").split(",") if a.strip())
        return cls(env.get(POLICY_ENV, "all") or "all", allow)

    def resolve(self, host: str, port: int) -> str:
        """The address to connect to, or PolicyError. Connect to the returned address only,
        so a name that resolves differently a second time (DNS rebinding) can't slip past."""
        if not 0 < port < 65536:
            raise PolicyError(f"bad port {port}")
        if self.mode == "all":
            return host
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise PolicyError(f"cannot resolve {host}: {exc.strerror or exc}") from None
        except UnicodeError:  # the IDNA codec refuses the name (a label over 63 characters, …)
            raise PolicyError(f"cannot resolve {host[:80]}: not a valid host name") from None
        for *_, sockaddr in infos:
            ip = ipaddress.ip_address(sockaddr[0])
            if (ip.is_global if self.mode == "public" else self._listed(host, port, ip)):
                return str(ip)
        if self.mode == "list":
            raise PolicyError(f"{host}:{port} is not in the network allow list")
        raise PolicyError(f"{host}:{port} is a private address, blocked by the network policy")

    def _listed(self, host: str, port: int, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        for entry in self.allow:
            name, _, want = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
            if want and want != str(port):
                continue
            if name.lower() == host.lower():
                return True
            if "/" in name:
                try:
                    if ip in ipaddress.ip_network(name, strict=False):
                        return True
                except ValueError:
                    continue
        return False


def parse_target(text: str) -> tuple[str, int] | None:
    """``host:port`` or ``[v6]:port`` → (host, port); None when malformed (only ASCII name and
    address characters: nothing the IDNA codec could choke on later, no marker host)."""
    host, sep, port = text.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()) or len(port) > 5 or not host:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not _HOST.match(host):
        return None
    return host, int(port)


class TokenPlugin:
    """websockify's token plugin interface: ``lookup(token) -> [host, port] | None``."""

    def __init__(self, src: str | None = None, *, secret: str | None = None,
                 policy: DestinationPolicy | None = None) -> None:
        self.secret = secret if secret is not None else os.environ.get(SECRET_ENV, "")
        self.policy = policy if policy is not None else DestinationPolicy.from_env()
        self.last_refusal = ""
        if not self.secret:
            raise ValueError("the proxy needs a secret")

    def lookup(self, token: str) -> list | None:
        given, sep, target = token.partition("@")
        if not sep or not hmac.compare_digest(given.encode(), self.secret.encode()):
            return None
        parsed = parse_target(target)
        if parsed is None:
            return None
        host, port = parsed
        if port == SOCKS_PORT and host.lower() in SOCKS_HOSTS:
            return [SOCKS_TARGET, 0]
        try:
            return [self.policy.resolve(host, port), port]
        except PolicyError as exc:
            self.last_refusal = str(exc)
            return [REFUSED_TARGET, 0]
