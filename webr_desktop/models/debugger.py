"""Debugger: R's browser (``Browse[n]>``) as a mode the panes can show and drive.

R itself does the debugging: ``browser()``, ``debug()``/``debugonce()``, trace()-placed
breakpoints and break-on-error all end at a ``Browse[n]>`` prompt, and the controls send R's
own ``n``/``s``/``f``/``c``/``Q`` as console input, so the console shows exactly what R does.
At each browser prompt one eval, ``.wd.debug_state()`` (resources/R/debug.R), returns where
R stands: the browsed frames with their file and line (or, with no file, the function's text)
and the selected frame's variables, as one JSON value. webR runs that eval while R waits in
ReadConsole, so it sees the browsed frames below its own; debug.R strips its own.

A normal ``> `` prompt after browsing, a restart, a crash or R quitting leave the mode.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from webr_desktop.core.messages import r_error_text
from webr_desktop.models.environment import EnvironmentDiffError, EnvRow, parse_rows
from webr_desktop.models.replies import while_alive
from webr_desktop.runtime.session import RSession, SessionState

log = logging.getLogger(__name__)

BROWSE_PROMPT = re.compile(r"^Browse\[(\d+)\]> ?$")
COMMANDS = {"next": "n", "step_into": "s", "finish": "f", "continue": "c", "stop": "Q"}


@dataclass(frozen=True)
class Frame:
    """One browsed frame (outermost first): its call and where it stands."""

    call: str
    name: str = ""
    file: str = ""  # absolute path in R (a host folder's files have their host path); "" if none
    line: int | None = None  # 1-based line in ``file`` (or in ``text``'s source)
    last: int | None = None
    text: str = ""  # the function's source (or deparse) when there is no file
    first: int | None = None  # the line of ``text``'s first line in its source

    @property
    def text_line(self) -> int | None:
        """``line`` counted within ``text`` (1-based), when known."""
        if self.line is None:
            return None
        return self.line - self.first + 1 if self.first is not None else None

    @property
    def title(self) -> str:
        """A read-only tab's title for code without a file."""
        return f"{self.name or 'top level'} (debug)"


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _frame(raw: object) -> Frame:
    if not isinstance(raw, dict):
        raise EnvironmentDiffError(f"a frame is {type(raw).__name__}, not a record")
    return Frame(
        call=str(raw.get("call") or ""), name=str(raw.get("name") or ""), file=str(raw.get("file") or ""),
        line=_int(raw.get("line")), last=_int(raw.get("last")), text=str(raw.get("text") or ""),
        first=_int(raw.get("first")),
    )


@dataclass(frozen=True)
class DebugState:
    """One answer of ``.wd.debug_state()``."""

    frames: list[Frame]  # outermost first; empty: browsing top-level code
    selected: int  # 1-based frame index; 0 = the global environment
    top: Frame | None  # where top-level code stands (no frames)
    vars: list[EnvRow] | None  # the selected frame's variables; None = the global environment

    @classmethod
    def parse(cls, value: object) -> DebugState:
        if not isinstance(value, dict):
            raise EnvironmentDiffError(f"expected the debugger's state, got {type(value).__name__}")
        raw = value.get("frames") or []
        frames = [_frame(f) for f in (raw if isinstance(raw, list) else [raw])]
        top = value.get("top")
        vars_ = value.get("vars")
        return cls(frames, _int(value.get("selected")) or 0, _frame({"call": "", **top}) if isinstance(top, dict) else None,
                   parse_rows(vars_) if isinstance(vars_, dict) else None)


class Debugger(QObject):
    """Follows R's browser prompts; its actions send R's own browser commands."""

    sig_entered = Signal()  # R stopped in the browser (from a normal prompt)
    sig_location_changed = Signal(object)  # Frame: where to show the current line (file or text)
    sig_stack_changed = Signal(object, int)  # (list[Frame] outermost first, selected 1-based; 0 = none)
    sig_vars_changed = Signal(str, object)  # (frame key, list[EnvRow]) or ("", None): the global env
    sig_left = Signal()  # back at a normal prompt, restarted or crashed
    sig_problem = Signal(str)
    sig_break_on_error_changed = Signal(bool)

    def __init__(self, session: RSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._active = False
        self._level = 0
        self._frames: list[Frame] = []
        self._selected = 0
        self._prompts = 0
        self._break_on_error = False
        self.last_command_at: float | None = None  # perf_counter() when a control sent input
        self.last_shown_at: float | None = None  # when the last state reached the panes
        self.states_shown = 0  # states that reached the panes (tests and the bench wait on it)
        session.sig_prompt_shown.connect(self._on_prompt)
        session.sig_starting.connect(self._on_session_gone)
        session.sig_crashed.connect(self._on_session_gone)
        session.sig_closed.connect(self._on_session_gone)
        session.sig_started.connect(self._on_session_started)

    # ------------------------------------------------------------------ state
    @property
    def active(self) -> bool:
        return self._active

    @property
    def level(self) -> int:
        """n of ``Browse[n]>`` (0 when not debugging)."""
        return self._level

    @property
    def frames(self) -> list[Frame]:
        return list(self._frames)

    @property
    def selected(self) -> int:
        """The frame whose variables are shown (1 = outermost; 0: none / global environment)."""
        return self._selected

    @property
    def break_on_error(self) -> bool:
        return self._break_on_error

    # ------------------------------------------------------------------ actions
    def next(self) -> None:
        self._command("next")

    def step_into(self) -> None:
        self._command("step_into")

    def finish(self) -> None:
        self._command("finish")

    def continue_(self) -> None:
        self._command("continue")

    def stop(self) -> None:
        self._command("stop")

    def _command(self, name: str) -> None:
        """R's own browser command as console input (echoed like typed input)."""
        if (not self._active or self._session.state is not SessionState.IDLE
                or not BROWSE_PROMPT.match(self._session.prompt)):  # not at "+ ": it would join an expression
            return
        self.last_command_at = time.perf_counter()
        self._session.write_console(COMMANDS[name])

    def select_frame(self, index: int) -> None:
        """Show frame ``index``'s variables (1 = outermost) and its line."""
        if not self._active or not 1 <= index <= len(self._frames) or index == self._selected:
            return
        self._selected = index
        self.sig_location_changed.emit(self._frames[index - 1])
        self._ask(f".wd.debug_vars({index}L)", lambda value: self._on_vars(index, value))

    def load_text(self, frame: Frame) -> None:
        """Fetch the function text of ``frame`` (a file the app will not open): the location
        is then emitted again with the text."""
        if frame not in self._frames:
            return
        index = self._frames.index(frame) + 1
        self._ask(f".wd.debug_text({index}L)", lambda value: self._on_text(index, frame, value))

    def _on_text(self, index: int, frame: Frame, value: object) -> None:
        if not isinstance(value, dict) or self._frames[index - 1:index] != [frame]:
            return
        shown = replace(frame, file="", text=str(value.get("text") or ""), first=_int(value.get("first")))
        self._frames[index - 1] = shown
        if index == self._selected:
            self.sig_location_changed.emit(shown)

    def set_break_on_error(self, on: bool) -> None:
        """Session ▸ Break on Error: an uncaught error opens the browser where it was raised."""
        self._break_on_error = bool(on)
        if self._session.info is not None:
            self._session.eval(f".wd.set_break_on_error({'TRUE' if on else 'FALSE'})")
        self.sig_break_on_error_changed.emit(self._break_on_error)

    # ------------------------------------------------------------------ R's prompts
    def _on_prompt(self, prompt: str) -> None:
        self._prompts += 1
        match = BROWSE_PROMPT.match(prompt)
        if match is None:
            if self._active and not prompt.startswith("+"):
                self._leave()
            return
        self._level = int(match.group(1))
        # fresh: R looks the files up again once per debugging session (they may have moved)
        self._ask(".wd.debug_state()" if self._active else ".wd.debug_state(fresh = TRUE)", self._on_state)

    def _ask(self, code: str, on_value: Callable[[object], None]) -> None:
        """Evaluate ``code`` in R; ``on_value`` gets the answer only if R is still at the
        prompt it was asked at (R moved on since, e.g. the user typed ahead: a newer one comes)."""
        request = self._session.eval(code)
        asked = self._prompts
        request.sig_finished.connect(while_alive(self, lambda value: on_value(value) if asked == self._prompts else None))
        request.sig_failed.connect(self._on_failed)

    def _on_state(self, value: object) -> None:
        try:
            state = DebugState.parse(value)
        except EnvironmentDiffError as exc:
            self.sig_problem.emit(f"The debugger could not read R's state: {exc}")
            return
        entering = not self._active
        self._active = True
        frames = [self._keep_location(i, f) for i, f in enumerate(state.frames)]
        self._frames = frames
        self._selected = state.selected
        if entering:
            self.sig_entered.emit()
        self.sig_stack_changed.emit(list(frames), self._selected)
        here = frames[self._selected - 1] if self._selected > 0 else state.top
        if here is not None:
            self.sig_location_changed.emit(here)
        if state.vars is None:
            self.sig_vars_changed.emit("", None)
        else:
            self.sig_vars_changed.emit(self._key(self._selected), state.vars)
        self.last_shown_at = time.perf_counter()
        self.states_shown += 1

    def _keep_location(self, i: int, frame: Frame) -> Frame:
        """A traced function's wrapped step has no srcref (trace() drops them): the frame stays
        on the line it was on (the breakpoint's statement) rather than losing its file."""
        if frame.line is not None or i >= len(self._frames):
            return frame
        before = self._frames[i]
        if before.call != frame.call or before.line is None:
            return frame
        return before

    def _key(self, index: int) -> str:
        """Identifies a frame across steps (its depth and call)."""
        return f"{index}:{self._frames[index - 1].call}" if 0 < index <= len(self._frames) else ""

    def _on_vars(self, index: int, value: object) -> None:
        if index != self._selected:
            return
        try:
            rows = parse_rows(value) if isinstance(value, dict) else []
        except EnvironmentDiffError as exc:
            self.sig_problem.emit(f"The debugger could not read the frame's variables: {exc}")
            return
        self.sig_vars_changed.emit(self._key(index), rows)

    def _on_failed(self, error: str) -> None:
        if self._session.state in (SessionState.IDLE, SessionState.BUSY):
            self.sig_problem.emit(f"The debugger could not ask R where it is: {r_error_text(error)}")

    def _leave(self) -> None:
        self._active = False
        self._level = 0
        self._frames = []
        self._selected = 0
        self.sig_left.emit()

    def _on_session_gone(self, *_args: object) -> None:
        self._prompts += 1  # answers still in flight are for the old R
        if self._active:
            self._leave()

    def _on_session_started(self, _ready: object) -> None:
        if self._break_on_error:
            self._session.eval(".wd.set_break_on_error(TRUE)")
