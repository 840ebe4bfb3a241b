"""Styling of stderr lines as R errors, warnings or messages."""

from __future__ import annotations

from webr_desktop.core.console_text import ERROR, MESSAGE, STDOUT, WARNING, StderrClassifier


def test_error_and_warning_blocks_and_messages() -> None:
    c = StderrClassifier()
    lines = [
        ("stderr", "a message"),
        ("stdout", "[1] 1"),
        ("stderr", "Error in f(x) : "),
        ("stderr", "  object 'x' not found"),
        ("stderr", "In addition: Warning message:"),
        ("stderr", "In g() : careful"),
    ]
    assert [c.classify(s, t) for s, t in lines] == [MESSAGE, STDOUT, ERROR, ERROR, WARNING, WARNING]
    c.reset()  # a prompt ends the block
    assert c.classify("stderr", "another message") == MESSAGE
    assert c.classify("stderr", "Warning message:") == WARNING
    assert c.classify("stderr", "careful") == WARNING
