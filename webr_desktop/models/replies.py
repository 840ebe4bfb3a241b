"""Answers from R that may outlive the object that asked for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from shiboken6 import isValid


def while_alive(owner: QObject, slot: Callable[..., Any]) -> Callable[..., None]:
    """``slot``, skipped once ``owner`` is deleted.

    Why: the R session outlives a window and the models it shows, so R's answer to a question
    asked just before the window closed can arrive after they are gone; a lambda on a deleted
    QObject would raise ("Signal source has been deleted") from inside the event loop.
    """

    def call(*args: Any) -> None:
        if isValid(owner):
            slot(*args)

    return call
