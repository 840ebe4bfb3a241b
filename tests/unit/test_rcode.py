"""R string literals built from user text can't break out of the string."""

from __future__ import annotations

import pytest

from webr_desktop.core.rcode import r_string


def test_escapes() -> None:
    assert r_string('a"b\\c\nd\te\r') == '"a\\"b\\\\c\\nd\\te\\r"'
    assert r_string("\x01é😀") == '"\\x01é😀"'


def test_nul_is_refused() -> None:
    with pytest.raises(ValueError):
        r_string("a\x00b")
