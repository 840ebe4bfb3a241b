"""The page-to-Python protocol: decode and validate what the webR page delivers.

The page sends JSON strings (see resources/page/main.js). Everything is checked here so a
malformed payload becomes a clear ``ProtocolError`` and a bad element inside a batch is
reported without dropping the good elements around it.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple, Union


class ProtocolError(ValueError):
    """A payload from the page that does not follow the protocol."""


class Message(NamedTuple):
    """One webR output message: stdout, stderr, prompt, pager, view, canvas or closed."""

    type: str
    data: Any = None


class Ready(NamedTuple):
    webr_version: str
    r_version: str
    channel: str
    isolated: bool


class Batch(NamedTuple):
    messages: list[Message]
    errors: list[str]


class Reply(NamedTuple):
    id: int
    ok: bool
    value: Any
    error: str


class Failed(NamedTuple):
    error: str


Payload = Union[Ready, Batch, Reply, Failed]

_TEXT_TYPES = frozenset({"stdout", "stderr", "prompt"})
_DICT_TYPES = frozenset({"pager", "view", "canvas"})


def parse_message(raw: Any) -> Message:
    """Validate one output message; raise ProtocolError if it is malformed."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise ProtocolError(f"output message without a type: {_short(raw)}")
    kind = raw["type"]
    data = raw.get("data")
    if kind in _TEXT_TYPES:
        if not isinstance(data, str):
            raise ProtocolError(f"{kind} message whose data is not text: {_short(raw)}")
        return Message(kind, data)
    if kind == "closed":
        status = data.get("status", 0) if isinstance(data, dict) else 0
        return Message(kind, {"status": status if isinstance(status, int) and not isinstance(status, bool) else 0})
    if kind in _DICT_TYPES:
        if not isinstance(data, dict):
            raise ProtocolError(f"{kind} message whose data is not an object: {_short(raw)}")
        return Message(kind, data)
    return Message(kind, data)


def parse_payload(text: str) -> Payload:
    """Decode one delivery from the page."""
    try:
        obj = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"payload is not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"payload is not an object: {_short(obj)}")
    kind = obj.get("kind")
    if kind == "messages":
        raw = obj.get("messages")
        if not isinstance(raw, list):
            raise ProtocolError("messages payload without a list")
        messages: list[Message] = []
        errors: list[str] = []
        for item in raw:
            try:
                messages.append(parse_message(item))
            except ProtocolError as exc:
                errors.append(str(exc))
        return Batch(messages, errors)
    if kind == "reply":
        rid = obj.get("id")
        if not isinstance(rid, int) or isinstance(rid, bool):
            raise ProtocolError(f"reply without an integer id: {_short(obj)}")
        ok = obj.get("ok") is True
        return Reply(rid, ok, obj.get("value"), "" if ok else str(obj.get("error", "unknown error")))
    if kind == "ready":
        return Ready(
            webr_version=str(obj.get("webr_version", "")),
            r_version=str(obj.get("r_version", "")),
            channel=str(obj.get("channel", "")),
            isolated=obj.get("isolated") is True,
        )
    if kind == "failed":
        return Failed(str(obj.get("error", "unknown error")))
    raise ProtocolError(f"unknown payload kind: {_short(kind)}")


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_R_ERROR_PREFIX = re.compile(r"^Error(?: in unknown source)?: ")  # how webR's evalR words errors


def r_error_text(error: str) -> str:
    """R's error message from a failed eval, without webR's "Error in unknown source:" prefix."""
    return _R_ERROR_PREFIX.sub("", error, count=1)
