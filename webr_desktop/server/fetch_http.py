"""One GET for the fetch service, with the destination policy applied to every hop.

urllib follows redirects by itself (to any address) and lets the socket layer resolve the name
again after any check, so we use http.client directly: each hop's URL is checked (http/https
only, no control characters), its host resolved once by the policy, and the connection made to
that very address while the Host header and TLS name stay the URL's host. Stdlib only.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import string
import urllib.parse
from collections.abc import Mapping

from webr_desktop.net.tokens import DestinationPolicy, PolicyError

MAX_REDIRECTS = 10
MAX_URL = 8192
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "webR-Desktop (download.file)"
SENSITIVE = frozenset({"authorization", "cookie", "proxy-authorization"})  # not sent to another origin
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HOST = re.compile(r"^[A-Za-z0-9._:-]+$")
_KEEP = string.punctuation  # quote() leaves printable ASCII (and existing %XX) alone


class FetchError(Exception):
    """A refused or failed fetch; the message is shown to the R user, ``status`` is the remote
    HTTP status when there was one (else 0)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class PinnedHTTP(http.client.HTTPConnection):
    """Connects to ``address`` (what the policy approved) while the Host header names ``host``."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class PinnedHTTPS(http.client.HTTPSConnection):
    """As PinnedHTTP, with TLS verified against the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, request target) of an http(s) URL, or FetchError saying why not."""
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise FetchError("the URL is empty, too long, or contains spaces or control characters")
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # an unclosed "[" in the host
        raise FetchError("malformed URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not '{scheme or url[:40]}'")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise FetchError("bad host or port in the URL") from None
    if not host or not _HOST.match(host):
        raise FetchError("bad host in the URL")
    target = urllib.parse.quote(parts.path or "/", safe=_KEEP)
    if parts.query:
        target += "?" + urllib.parse.quote(parts.query, safe=_KEEP)
    return scheme, host, port, target


def _check_headers(headers: Mapping[str, str]) -> dict[str, str]:
    sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    for name, value in headers.items():
        if not _HEADER_NAME.match(name) or any(c in value for c in "\r\n\0"):
            raise FetchError(f"bad HTTP header {name[:40]!r}")
        sent[name] = value
    sent["Connection"] = "close"
    return sent


def _length(response: http.client.HTTPResponse) -> int:
    """The body's size from Content-Length (-1 when unknown); FetchError if it isn't a number."""
    raw = response.getheader("Content-Length")
    if response.chunked or raw is None:
        return -1
    values = {v.strip() for v in raw.split(",")}  # repeated headers arrive joined by ", "
    value = values.pop() if len(values) == 1 else ""
    if not (value.isascii() and value.isdigit()):
        raise FetchError(f"the server sent an invalid Content-Length ({raw[:40]!r})")
    return int(value)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _origin(url: str) -> tuple[str, str, int]:
    scheme, host, port, _target = check_url(url)
    return scheme, host, port


def open_url(url: str, headers: Mapping[str, str], timeout: float,
             policy: DestinationPolicy) -> tuple[http.client.HTTPResponse, str, int]:
    """GET ``url`` following redirects: (open 2xx response, final URL, size or -1)."""
    sent = _check_headers(headers)
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, target = check_url(url)
        try:
            address = policy.resolve(host, port)
        except PolicyError as exc:
            raise FetchError(str(exc)) from None
        conn = (PinnedHTTPS if scheme == "https" else PinnedHTTP)(host, port, address, timeout)
        try:
            conn.request("GET", target, headers=sent)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException, ValueError) as exc:
            conn.close()
            raise FetchError(f"cannot connect to {host}:{port}: {_reason(exc)}") from None
        location = response.getheader("Location")
        if response.status in REDIRECTS and location:
            response.close()
            conn.close()
            try:
                new_url = urllib.parse.urljoin(url, location.strip())
            except ValueError:
                raise FetchError(f"bad redirect to {location[:80]!r}") from None
            if _origin(new_url) != _origin(url):
                sent = {k: v for k, v in sent.items() if k.lower() not in SENSITIVE}
            url = new_url
            continue
        try:
            if not 200 <= response.status < 300:
                raise FetchError(f"HTTP status was '{response.status} {response.reason}'", response.status)
            return response, url, _length(response)
        except FetchError:
            response.close()
            conn.close()
            raise
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")
