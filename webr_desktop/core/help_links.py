"""What a link in an R help page points at, decided without R.

R's Rd2HTML writes static links as if every page lived at ``library/PKG/html/FILE.html``:
``../../PKG/html/FILE.html`` (an Rd file, from the link table), ``../../PKG/help/TOPIC.html``
(a topic, encoded as ``tools:::topic2filename``: URL-encoding with ``%`` written as ``+``),
``../help/TOPIC.html``, ``00Index.html``, ``#anchor`` and external URLs. Resolving each href
against the current page's package gives one of a few targets the help service can look up.
Page addresses (``help:stats/lm``, ``help-index:stats``, ``help-search:q``, ``help-topic:t``)
are accepted as links too, so a history entry can be reopened the same way.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

EXTERNAL_SCHEMES = frozenset({"http", "https", "ftp", "mailto"})
_LIBRARY_PATH = re.compile(r"^/library/([^/]+)/(html|help)/([^/]+)$")


@dataclass(frozen=True)
class HelpLink:
    """Where a help link goes.

    kind: "file" (package + Rd file name), "topic" (topic, package may be ""), "index"
    (package), "search" (name is the query), "anchor" (in the shown page), "external"
    (name is the URL), or "unknown" (name is the href, which can't be shown).
    """

    kind: str
    name: str = ""
    package: str = ""
    anchor: str = ""


def page_package(url: str) -> str:
    """The package a page address belongs to ("" for search results, text, choosers)."""
    if url.startswith("help:"):
        return url[len("help:"):].split("/", 1)[0]
    if url.startswith("help-index:"):
        return url[len("help-index:"):]
    return ""


def decode_topic(encoded: str) -> str:
    """The topic behind Rd2HTML's ``topic2filename`` encoding (``+5B`` is ``[``)."""
    return unquote(encoded.replace("+", "%"))


def parse_link(href: str, current_url: str = "") -> HelpLink:
    """Resolve ``href`` (as written in the page at ``current_url``) to a help target."""
    href = href.strip()
    if not href:
        return HelpLink("unknown", href)
    if href.startswith("#"):
        return HelpLink("anchor", anchor=unquote(href[1:]))
    own = _page_address(href)
    if own is not None:
        return own
    scheme = urlsplit(href).scheme.lower()
    if scheme in EXTERNAL_SCHEMES:
        return HelpLink("external", href)
    if scheme and len(scheme) > 1:  # a one-letter "scheme" is a Windows drive, not a URL
        return HelpLink("unknown", href)
    path, _, anchor = href.partition("#")
    path = path.partition("?")[0]
    anchor = unquote(anchor)
    package = page_package(current_url) or "_"  # "_": no package to resolve against
    resolved = posixpath.normpath(posixpath.join(f"/library/{package}/html", path))
    match = _LIBRARY_PATH.match(resolved)
    if match is None or match.group(1) == "_":
        return HelpLink("unknown", href)
    package, folder, name = unquote(match.group(1)), match.group(2), match.group(3)
    if name.endswith(".html"):
        name = name[: -len(".html")]
    if not name:
        return HelpLink("unknown", href)
    if folder == "help":
        return HelpLink("topic", decode_topic(name), package, anchor)
    name = unquote(name)
    if name == "00Index":
        return HelpLink("index", package=package, anchor=anchor)
    return HelpLink("file", name, package, anchor)


def _page_address(href: str) -> HelpLink | None:
    """A help page address used as a link, or None."""
    scheme, sep, rest = href.partition(":")
    if not sep:
        return None
    if scheme == "help" and "/" in rest:
        package, _, name = rest.partition("/")
        return HelpLink("file", name, package) if package and name else HelpLink("unknown", href)
    if scheme == "help-index" and rest:
        return HelpLink("index", package=rest)
    if scheme == "help-search" and rest:
        return HelpLink("search", rest)
    if scheme == "help-topic" and rest:
        return HelpLink("topic", rest)
    return None
