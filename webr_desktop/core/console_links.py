"""What a link in R's console output asks for (OSC 8 targets written by cli).

cli writes ``x-r-help:pkg::topic``, ``x-r-run:code`` and ``x-r-vignette:pkg::name`` (and
RStudio's older ``ide:help:…``/``ide:run:…``) when told the console understands them
(``cli.hyperlink_help``/``_run``/``_vignette``), ``file://path`` with an optional line and
column, and ordinary web addresses. Anything else is not followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class ConsoleLink:
    kind: str  # "help" | "run" | "vignette" | "file" | "web"
    target: str  # topic, code, vignette name, file path or URL
    package: str | None = None
    line: int = 0  # file links: 1-based line, 0 when not given


_PKG_TOPIC = re.compile(r"^(?:([A-Za-z][A-Za-z0-9.]*):::?)?(.+)$", re.DOTALL)
_FILE_POSITION = re.compile(r"^(.*?)(?:[#:]L?(\d+)(?:[:C](\d+))?)?$")


def _split_package(text: str) -> tuple[str | None, str]:
    match = _PKG_TOPIC.match(text)
    assert match is not None  # the pattern matches any non-empty text
    return match.group(1), match.group(2)


def parse_link(href: str) -> ConsoleLink | None:
    """The action behind ``href``, or None for a target the console does not follow."""
    for prefix, kind in (("x-r-help:", "help"), ("ide:help:", "help"), ("x-r-run:", "run"),
                         ("ide:run:", "run"), ("x-r-vignette:", "vignette")):
        if href.startswith(prefix):
            rest = unquote(href[len(prefix):])
            if not rest:
                return None
            if kind == "run":
                return ConsoleLink("run", rest)
            package, name = _split_package(rest)
            return ConsoleLink(kind, name, package)
    parts = urlsplit(href)
    if parts.scheme in ("http", "https") and parts.netloc:
        return ConsoleLink("web", href)
    if parts.scheme == "file":
        raw = unquote(href[len("file://"):])
        match = _FILE_POSITION.match(raw)
        path, line = (match.group(1), int(match.group(2) or 0)) if match else (raw, 0)
        return ConsoleLink("file", path, line=line) if path.startswith("/") else None
    return None
