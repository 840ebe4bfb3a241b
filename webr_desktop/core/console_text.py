"""How console output lines are styled: stdout, R errors, warnings and messages.

webR delivers all of stderr on one stream, so the kind is told from R's own wording: a line
starting with "Error" or "Warning" opens a block that runs until the next prompt (R prints
errors and deferred warnings at the end of a top-level call, with indented continuation
lines); any other stderr line is a message().
"""

from __future__ import annotations

STDOUT = "stdout"
ERROR = "error"
WARNING = "warning"
MESSAGE = "message"

_ERROR_STARTS = ("Error", "Erreur", "Fehler")
_WARNING_STARTS = ("Warning", "In addition: Warning")


class StderrClassifier:
    """Stateful: feed lines in order, call ``reset()`` at every prompt."""

    def __init__(self) -> None:
        self._block: str | None = None

    def reset(self) -> None:
        self._block = None

    def classify(self, stream: str, text: str) -> str:
        if stream != "stderr":
            self._block = None
            return STDOUT
        if text.startswith(_ERROR_STARTS):
            self._block = ERROR
        elif text.startswith(_WARNING_STARTS):
            self._block = WARNING
        return self._block or MESSAGE
