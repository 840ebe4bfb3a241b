"""Reading an API route's JSON request body, which must be one JSON object."""

from __future__ import annotations

import json
from typing import Any


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it isn't one (not JSON, too deep, not UTF-8,
    or JSON that is not an object): the caller answers 400 in its own words."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
