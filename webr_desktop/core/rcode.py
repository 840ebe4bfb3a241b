"""Building R code from Python values, safely.

Anything interpolated into R source must go through ``r_string`` so that quotes, backslashes
and control characters in user text can never change the meaning of the code.
"""

from __future__ import annotations

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def r_string(text: str) -> str:
    """An R string literal for ``text`` (UTF-8; NUL is not representable in R strings)."""
    if "\x00" in text:
        raise ValueError("R strings cannot contain NUL characters")
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
