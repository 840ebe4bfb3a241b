"""How the package service opens URLs inside the app: under the Network switch and policy.

R code can ask the packages route for any repository URL (``install.packages(repos = …)``),
so the app's downloads of indexes and archives must keep the same promises as R's own
sockets and URL reads: nothing while networking is off, and the destination policy applied to
the address actually connected to (resolved once) on every redirect hop. urllib's own
handlers are replaced: only http and https are opened, and each connection goes to the
address the policy approved while the Host header and TLS name stay the URL's host.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from webr_desktop.net.tokens import DestinationPolicy, PolicyError
from webr_desktop.server.fetch_http import PinnedHTTP, PinnedHTTPS

PolicySource = Callable[[], "DestinationPolicy | None"]  # None: networking is off
OFF = "networking is off (Session ▸ Network); packages come only from local folders and the cache"


def _connection(policy_source: PolicySource, req: urllib.request.Request, https: bool) -> Callable[..., Any]:
    """A connection factory for ``req`` pinned to the address the policy approves now."""
    policy = policy_source()
    if policy is None:
        raise urllib.error.URLError(OFF)
    parts = urllib.parse.urlsplit(req.full_url)
    try:
        name, port = parts.hostname or "", parts.port or (443 if https else 80)
    except ValueError:
        raise urllib.error.URLError(f"bad port in {req.full_url[:80]}") from None
    try:
        address = policy.resolve(name, port)
    except PolicyError as exc:
        raise urllib.error.URLError(str(exc)) from None
    pinned = PinnedHTTPS if https else PinnedHTTP
    return lambda _host, timeout=30.0, **_kw: pinned(name, port, address, timeout)


class _GuardedHTTP(urllib.request.HTTPHandler):
    def __init__(self, policy_source: PolicySource) -> None:
        super().__init__()
        self._policy_source = policy_source

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_connection(self._policy_source, req, https=False), req)


class _GuardedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, policy_source: PolicySource) -> None:
        super().__init__()
        self._policy_source = policy_source

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_connection(self._policy_source, req, https=True), req)


def guarded_opener(policy_source: PolicySource) -> urllib.request.OpenerDirector:
    """An opener for PackageService: http/https only (redirects re-checked: each hop is a new
    request through these handlers), the switch and policy asked at every request."""
    opener = urllib.request.OpenerDirector()
    for handler in (_GuardedHTTP(policy_source), _GuardedHTTPS(policy_source), urllib.request.UnknownHandler(),
                    urllib.request.HTTPRedirectHandler(),
                    urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener
