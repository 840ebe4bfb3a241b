"""The loopback route behind rstudioapi's ``.rs.api.*`` functions: R asks, the GUI answers.

rstudioapi's calls are synchronous for R (``getActiveDocumentContext()`` returns the editor's
state, ``selectFile()`` the user's choice), so R's worker POSTs a sync XHR to
``/<secret>/api/rstudio`` and the server thread waits here for the GUI thread's answer. This
module is the Qt-free half: it checks the request, hands an :class:`ApiCall` to ``post`` (the
Qt side queues it to the GUI thread) and waits on a ``threading.Event`` with a bound — a long
one for calls that wait for the user (dialogs). R can read the secret, so each function may only
do what a user's own R code or the IDE's own commands may do; the GUI side enforces that.

Protocol: body ``{"fn": NAME or [NAME], "args": {NAME: VALUE, ...}}`` (at most ``MAX_BODY`` bytes) →
always HTTP 200 with ``{"value": V}`` or ``{"error": TEXT}`` (R turns it into an R error), except
400 for a body that isn't such an object.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

from webr_desktop.server.json_body import json_object

log = logging.getLogger(__name__)

RSTUDIO_PATH = "api/rstudio"
MAX_BODY = 16 * 1024 * 1024  # insertText/documentNew carry text; 16 MB is a large script
CALL_TIMEOUT = 30.0  # seconds for calls the GUI answers at once (a hang guard only)
DIALOG_TIMEOUT = 3600.0  # seconds a dialog may wait for the user
MAX_PENDING = 4  # R is single-threaded: more than a few calls at once is not rstudioapi

WINDOW_GONE = "the webR Desktop window is closed: it can't answer rstudioapi calls"


class ApiError(Exception):
    """A call that can't be done: the message becomes R's error text."""


class ApiCall:
    """One call from R, answered once (from any thread) with ``reply`` or ``fail``."""

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        self.name = name
        self.args = args
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._answer: dict[str, Any] | None = None

    def reply(self, value: object = None) -> None:
        self._set({"value": value})

    def fail(self, message: str) -> None:
        self._set({"error": str(message)})

    @property
    def answered(self) -> bool:
        return self._done.is_set()

    def _set(self, answer: dict[str, Any]) -> None:
        with self._lock:
            if self._answer is not None:
                return  # first answer wins (a timeout raced the GUI)
            self._answer = answer
        self._done.set()

    def wait(self, timeout: float) -> dict[str, Any]:
        if not self._done.wait(timeout):
            self.fail(f"webR Desktop did not answer {self.name}() within {timeout:.0f} s")
        assert self._answer is not None
        return self._answer


def one_arg(args: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    """The single value R sent as ``name`` (R sends vectors as JSON arrays)."""
    value = args.get(name, default)
    if isinstance(value, list):
        if len(value) != 1:
            raise ApiError(f"'{name}' must be a single value")
        value = value[0]
    if value is None:
        return default
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ApiError(f"'{name}' has the wrong type")
    return value


def text_arg(args: dict[str, Any]) -> list[str]:
    """The character vector R sent as ``text`` (each string a one-element array)."""
    value = args.get("text")
    if not isinstance(value, list) or not all(isinstance(t, list) and len(t) == 1 and isinstance(t[0], str)
                                              for t in value):
        raise ApiError("'text' must be a character vector")
    return [t[0] for t in value]


def _json(value: object, status: int = 200) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(value, allow_nan=False, default=str).encode()


def _finite(value: object) -> object:
    """JSON can't carry Inf/NaN: R's Inf (an open end) becomes null, as rstudioapi means it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


class RStudioApiRoute:
    """A LocalServer handler (``handle``) that passes each call to the GUI and waits.

    ``functions`` maps each function R may call to how long it may take (``CALL_TIMEOUT`` or
    ``DIALOG_TIMEOUT``); ``post`` is set by the GUI side and must not block.
    """

    def __init__(self, functions: Mapping[str, float]) -> None:
        self._functions = dict(functions)
        self._lock = threading.Lock()
        self._pending: set[ApiCall] = set()
        self._closed = False
        self.post: Callable[[ApiCall], None] | None = None

    def handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, str, bytes]:
        request = json_object(body)
        if request is None:
            return _json({"error": "bad request"}, 400)
        name = request.get("fn")
        if isinstance(name, list) and len(name) == 1:  # R sends every vector as an array
            name = name[0]
        args = request.get("args", {})
        if not isinstance(name, str) or not isinstance(args, dict):
            return _json({"error": "bad request"}, 400)
        timeout = self._functions.get(name)
        if timeout is None:
            return _json({"error": f"function '{name}' is not available in webR Desktop"})
        call = ApiCall(name, _finite(args))  # type: ignore[arg-type]
        with self._lock:
            post = self.post
            if self._closed or post is None:
                return _json({"error": WINDOW_GONE})
            if len(self._pending) >= MAX_PENDING:
                return _json({"error": "too many rstudioapi calls at once"})
            self._pending.add(call)
        try:
            post(call)
            answer = call.wait(timeout)
        except Exception:  # the GUI side is gone mid-call (a deleted QObject raises here)
            log.debug("posting %s failed", name, exc_info=True)
            call.fail(WINDOW_GONE)
            answer = call.wait(0)
        finally:
            with self._lock:
                self._pending.discard(call)
        try:
            return _json(answer)
        except (TypeError, ValueError):
            log.exception("rstudioapi %s: answer not JSON", name)
            return _json({"error": f"webR Desktop could not answer {name}()"})

    def close(self) -> None:
        """The window is going: calls waiting now and later get a clear error at once."""
        with self._lock:
            self._closed = True
            self.post = None
            pending = list(self._pending)
        for call in pending:
            call.fail(WINDOW_GONE)
