"""RSession: the only API the UI sees of the webR runtime.

It owns one hidden page at a time (restart = a fresh page), an input queue that feeds R one
line per prompt (so pasted blocks echo with the right ``+`` prompts), pending eval requests,
and the interrupt protocol that works around webR 0.6.0's line-swallowing bug (see
``_on_prompt``).
"""

from __future__ import annotations

import enum
import logging
from collections import deque
import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from webr_desktop.core.messages import Message, Ready, Reply
from webr_desktop.runtime.bridge import Bridge
from webr_desktop.runtime.page import RuntimePage
from webr_desktop.server.blob_inbox import BlobInbox

log = logging.getLogger(__name__)

START_TIMEOUT_MS = 60_000
# How long input stays held once R waits at a prompt without having shown that it handled
# a pending interrupt (e.g. R code caught the interrupt condition). webR handles a pending
# interrupt within ~50 ms of waiting for input, so this is a safety net, not the normal path.
# It must not run while R is still busy: C code can keep an interrupt pending for minutes.
INTERRUPT_GUARD_MS = 1_000
BOOT_MILESTONE = "/R.wasm"  # webR's worker asks for it once the page and the worker are up
BOOT_WAIT_MS = 3_000  # let_page_boot()'s cap, for a webR that never asks for it
# How long R must wait at its prompt after a command, with no new input sent, before
# ``sig_settled``: panes that ask R what changed (environment, working directory) do it then,
# so their evals don't sit in webR's queue ahead of a command typed (or run with Ctrl+Enter)
# right after the prompt. Measured under load (issue 18): those evals were in flight in half
# the round trips typed 10 ms after a prompt, and made a plot 50 ms after one wait for them.
SETTLE_MS = 150


class SessionState(enum.Enum):
    STARTING = "starting"
    IDLE = "idle"  # R waits for console input
    BUSY = "busy"  # R is running console input
    CLOSED = "closed"  # R quit
    CRASHED = "crashed"
    FAILED = "failed"  # could not start


class EvalRequest(QObject):
    """The pending result of ``RSession.eval``; exactly one of its signals fires."""

    sig_finished = Signal(object)
    sig_failed = Signal(str)

    def __init__(self, request_id: int, code: str, op: str = "eval", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.request_id = request_id
        self.code = code
        self.op = op  # "eval": a JSON-able value; "eval_file": the bytes of a file R wrote


class RSession(QObject):
    """A webR R session running in a hidden QtWebEngine page."""

    sig_starting = Signal()
    sig_started = Signal(object)  # Ready: versions, channel, interrupt availability
    sig_start_failed = Signal(str)
    sig_output_received = Signal(object)  # list[tuple[stream, text]] in order
    sig_prompt_shown = Signal(str)  # R waits for input with this prompt
    sig_command_finished = Signal()  # console input ran and R waits again
    sig_settled = Signal()  # R has waited SETTLE_MS since a command finished: panes refresh now
    sig_input_sent = Signal(str, str)  # (prompt, line) as R received it: the echo
    sig_busy_changed = Signal(bool)
    sig_closed = Signal(int)  # R quit, with its exit status
    sig_crashed = Signal(str)
    sig_notice = Signal(str)  # something the user should know (not R output)
    sig_message_received = Signal(object)  # other webR messages (pager, view, canvas)

    def __init__(
        self, page_url: str, setup_code: str = "", blobs: BlobInbox | None = None, parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._page_url = page_url
        self._blobs = blobs
        self._setup_code = setup_code
        self._page: RuntimePage | None = None
        self._bridge: Bridge | None = None
        self._state = SessionState.STARTING
        self._info: Ready | None = None
        self._prompt = "> "
        self._queue: deque[str] = deque()
        self._pending: dict[int, EvalRequest] = {}
        self._next_id = 1
        self._busy = False
        self._width: int | None = None
        self._awaiting_input = False  # R prompted and we have not sent a line since
        self._input_since_prompt = False  # a line was sent since R last showed a prompt
        self._interrupt_pending = False  # typed input is held
        self._interrupt_unresolved = False  # R has not yet shown it handled the interrupt
        self._prompts_since_interrupt = 0
        self._blank_stderr = False  # the last stream line was an empty stderr line
        self._interrupt_guard = QTimer(self, singleShot=True, interval=INTERRUPT_GUARD_MS)
        self._interrupt_guard.timeout.connect(self._on_interrupt_guard_timeout)
        self._start_timer = QTimer(self, singleShot=True, interval=START_TIMEOUT_MS)
        self._start_timer.timeout.connect(self._on_start_timeout)
        self._settle_timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle_timer.timeout.connect(self._on_settle_timeout)

    # ----------------------------------------------------------------- public API
    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def info(self) -> Ready | None:
        return self._info

    @property
    def prompt(self) -> str:
        return self._prompt

    @property
    def interrupt_available(self) -> bool:
        return self._info is not None and self._info.channel == "SharedArrayBuffer"

    def start(self) -> None:
        """Load a fresh page and start webR in it."""
        self._teardown("R session restarted")
        self._state = SessionState.STARTING
        self._info = None
        self._prompt = "> "
        self._awaiting_input = self._input_since_prompt = False
        self._interrupt_pending = self._interrupt_unresolved = False
        self._bridge = Bridge(self)
        self._bridge.sig_ready.connect(self._on_bridge_ready)
        self._bridge.sig_batch_received.connect(self._on_bridge_batch)
        self._bridge.sig_reply_received.connect(self._on_bridge_reply)
        self._bridge.sig_start_failed.connect(self._on_bridge_start_failed)
        self._page = RuntimePage(self._page_url, self._bridge, self)
        self._page.sig_load_failed.connect(self._on_page_load_failed)
        self._page.sig_render_terminated.connect(self._on_page_render_terminated)
        self._set_busy(True)
        self.sig_starting.emit()
        self._start_timer.start()
        self._page.load()

    def restart(self) -> None:
        """Throw R away and start a new one; pending work fails with a clear reason."""
        self._queue.clear()
        self.start()

    def shutdown(self) -> None:
        """End R and release the page."""
        self._start_timer.stop()
        self._interrupt_guard.stop()
        self._teardown("R session shut down", now=True)
        self._state = SessionState.CLOSED

    def write_console(self, text: str) -> None:
        """Queue console input; each line is sent when R asks for the next one."""
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if text.endswith("\n"):
            lines.pop()
        self._queue.extend(lines)
        if self._state in (SessionState.CLOSED, SessionState.CRASHED):
            queued = list(self._queue)
            self.start()
            self._queue.extend(queued)
            return
        self._pump()

    def send_input(self, lines: list[str]) -> None:
        """Send lines to R's input queue at once, not one per prompt: a non-interactive R
        (``webr-desktop run``) reads its script from stdin and shows no prompts."""
        if self._bridge is None or self._info is None:
            raise RuntimeError("R is not running")
        self._state = SessionState.BUSY
        self._set_busy(True)
        for line in lines:
            self._bridge.send("write", text=line)

    def eval(self, code: str) -> EvalRequest:
        """Evaluate R code outside the console; the JSON-able result arrives later.

        Unnamed length-1 vectors become scalars, named vectors and lists become dicts,
        NA/NaN/Inf become None. Requests made before R is ready are sent once it is.
        """
        return self._request("eval", code)

    def eval_file(self, code: str) -> EvalRequest:
        """Evaluate R code that writes a file in webR's file system and returns its path.

        The request finishes with the file's bytes (the file is then removed): how exported
        plots reach the host without crossing the channel as text.
        """
        if self._blobs is None:
            raise RuntimeError("this session has no blob inbox for file results")
        return self._request("eval_file", code)

    def read_file(self, path: str) -> EvalRequest:
        """The bytes of a file in webR's file system (then removed), read by the worker
        without evaluating R: works while R is ending (``webr-desktop run``'s plots)."""
        if self._blobs is None:
            raise RuntimeError("this session has no blob inbox for file results")
        return self._request("read_file", path)

    def _request(self, op: str, code: str) -> EvalRequest:
        request = EvalRequest(self._next_id, code, op, self)
        self._next_id += 1
        self._pending[request.request_id] = request
        if self._info is not None and self._bridge is not None:
            self._bridge.send(op, id=request.request_id, code=code)
        return request

    def interrupt(self) -> None:
        """Interrupt running R code (like Ctrl+C in R); typed-ahead input is discarded."""
        if self._state not in (SessionState.IDLE, SessionState.BUSY) or self._bridge is None:
            return
        if not self.interrupt_available:
            self.sig_notice.emit("Interrupt is unavailable: the runtime page is not cross-origin isolated.")
            return
        self._queue.clear()
        self._interrupt_pending = True
        self._interrupt_unresolved = True
        self._prompts_since_interrupt = 0
        self._interrupt_guard.stop()
        self._bridge.send("interrupt")

    def set_console_width(self, columns: int) -> None:
        """Keep ``options(width)`` equal to the console's width in characters."""
        columns = max(10, min(int(columns), 10_000))
        if columns == self._width:
            return
        self._width = columns
        if self._info is not None:
            self.eval(f"options(width = {columns}L)")

    # ----------------------------------------------------------------- internals
    def hold_page(self) -> None:
        """What the page says waits until ``release_page()``: nothing reaches this session's
        listeners while the window that holds them is still being built."""
        if self._page is not None:
            self._page.hold()

    def release_page(self) -> None:
        if self._page is not None:
            self._page.release()

    def let_page_boot(self, timeout_ms: int = BOOT_WAIT_MS, milestone: str = BOOT_MILESTONE) -> bool:
        """Right after ``start()``: run the event loop until webR's worker asks for ``milestone``
        (True) or ``timeout_ms`` pass, so webR boots while the caller builds the window; what the
        page says meanwhile waits for the caller (``RuntimePage.run_until_requested``)."""
        if self._page is None or self._state is not SessionState.STARTING:
            return False
        return self._page.run_until_requested(milestone, timeout_ms)

    def _teardown(self, reason: str, *, now: bool = False) -> None:
        # A slot may ask again as soon as it hears of the failure: its new request waits
        # for the next page (sent on ready), not for the one being torn down.
        self._info = None
        self._settle_timer.stop()
        pending, self._pending = self._pending, {}
        for request in pending.values():
            request.sig_failed.emit(reason)
            request.deleteLater()
        if self._page is not None:
            self._page.sig_load_failed.disconnect(self._on_page_load_failed)
            self._page.sig_render_terminated.disconnect(self._on_page_render_terminated)
            self._page.close()
            # At shutdown no event loop will run deferred deletes, and the shared profile
            # must outlive its pages; otherwise this may run inside the page's own signal.
            if now:
                shiboken6.delete(self._page)
            else:
                self._page.deleteLater()
            self._page = None
        if self._bridge is not None:
            self._bridge.deleteLater()
            self._bridge = None

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.sig_busy_changed.emit(busy)

    def _pump(self) -> None:
        """Send the next queued line if R is waiting for one."""
        if self._state is not SessionState.IDLE or self._interrupt_pending or not self._queue:
            return
        line = self._queue.popleft()
        self._state = SessionState.BUSY
        self._awaiting_input = False
        self._input_since_prompt = True
        self._settle_timer.stop()  # settles after this command instead
        self._set_busy(True)
        self.sig_input_sent.emit(self._prompt, line)
        assert self._bridge is not None
        self._bridge.send("write", text=line)

    def _on_bridge_ready(self, ready: Ready) -> None:
        self._start_timer.stop()
        self._info = ready
        if not self.interrupt_available:
            self.sig_notice.emit(
                "The runtime page is not cross-origin isolated: webR runs on its PostMessage "
                "channel, so Interrupt is unavailable."
            )
        assert self._bridge is not None
        if self._setup_code:
            self._bridge.send("eval", id=0, code=self._setup_code)
        for request in list(self._pending.values()):  # made before R was ready
            self._bridge.send(request.op, id=request.request_id, code=request.code)
        if self._width is not None:
            self.eval(f"options(width = {self._width}L)")
        self.sig_started.emit(ready)

    def _on_bridge_batch(self, messages: list[Message]) -> None:
        chunk: list[tuple[str, str]] = []
        for msg in messages:
            if msg.type == "stdout" or msg.type == "stderr":
                lines = msg.data.split("\n")  # the page sends runs of lines joined by \n
                chunk.extend([(msg.type, line) for line in lines])
                self._blank_stderr = msg.type == "stderr" and lines[-1] == ""
                continue
            if chunk:
                self.sig_output_received.emit(chunk)
                chunk = []
            if msg.type == "prompt":
                self._on_prompt(msg.data)
            elif msg.type == "closed":
                self._on_closed(msg.data["status"])
            else:
                self._emit_message(msg)
            self._blank_stderr = False
        if chunk:
            self.sig_output_received.emit(chunk)

    def _on_prompt(self, prompt: str) -> None:
        """R waits for input.

        webR 0.6.0 bug: ``interrupt()`` empties the input queue and raises a flag that R only
        checks at its next event poll. If R reaches a prompt before checking (the interrupt
        landed in C code), the flag fires ~50 ms into the wait for input: R prints an empty
        stderr line and prompts again, but the abandoned read request still sits first in the
        page's input queue and silently eats the next line. So: hold typed input from the
        interrupt until R shows it handled it (empty stderr line + prompt); if it fired while R
        waited on a read that began after the interrupt, feed that orphan an empty line.
        """
        waiting_on_fresh_read = self._awaiting_input and self._prompts_since_interrupt >= 1
        self._prompts_since_interrupt += 1
        if self._interrupt_unresolved and self._blank_stderr:
            self._interrupt_pending = self._interrupt_unresolved = False
            self._interrupt_guard.stop()
            if waiting_on_fresh_read:
                log.debug("interrupt fired while R waited for input: feeding the orphaned read")
                assert self._bridge is not None
                self._bridge.send("write", text="")
        elif self._interrupt_pending and not self._interrupt_guard.isActive():
            self._interrupt_guard.start()  # R waits now; webR handles the interrupt soon
        self._prompt = prompt
        self._awaiting_input = True
        if self._state in (SessionState.STARTING, SessionState.BUSY, SessionState.IDLE):
            self._state = SessionState.IDLE
        if self._queue and not self._interrupt_pending:
            self._pump()
            return
        self._set_busy(False)
        self.sig_prompt_shown.emit(prompt)
        if self._input_since_prompt:
            self._input_since_prompt = False
            self._settle_timer.start()
            self.sig_command_finished.emit()

    def _on_settle_timeout(self) -> None:
        if self._state is SessionState.IDLE and not self._queue:
            self.sig_settled.emit()

    def _on_interrupt_guard_timeout(self) -> None:
        if self._interrupt_pending:
            log.debug("no sign that R handled the interrupt; releasing held input")
            self._interrupt_pending = False
            self._pump()

    def _on_closed(self, status: int) -> None:
        self._state = SessionState.CLOSED
        self._set_busy(False)
        self._teardown("R session closed")
        self.sig_closed.emit(status)

    def _on_bridge_reply(self, reply: Reply) -> None:
        if reply.id == 0:  # the start-up code
            if not reply.ok:
                log.error("R start-up code failed: %s", reply.error)
            return
        request = self._pending.pop(reply.id, None)
        if request is None:
            log.warning("reply for unknown request %d", reply.id)
            return
        if reply.ok and request.op in ("eval_file", "read_file"):
            data = self._take_blob(reply.value)
            if data is None:
                request.sig_failed.emit("the file's bytes did not arrive from the page")
            else:
                request.sig_finished.emit(data)
        elif reply.ok:
            request.sig_finished.emit(reply.value)
        else:
            request.sig_failed.emit(reply.error)
        request.deleteLater()

    def _take_blob(self, ref: object) -> bytes | None:
        """The bytes the page uploaded for ``ref`` (a ``{"blob": id}`` object)."""
        blob_id = ref.get("blob") if isinstance(ref, dict) else None
        if self._blobs is None or not isinstance(blob_id, str):
            return None
        return self._blobs.take(blob_id)

    def _emit_message(self, msg: Message) -> None:
        """Pass on a message for the panes; one that refers to uploaded bytes carries them."""
        if isinstance(msg.data, dict) and "blob" in msg.data:
            data = self._take_blob(msg.data)
            if data is None:
                log.warning("%s message whose bytes did not arrive; dropped", msg.type)
                return
            msg = Message(msg.type, {**msg.data, "blob": data})
        self.sig_message_received.emit(msg)

    def _fail_start(self, reason: str) -> None:
        self._start_timer.stop()
        self._state = SessionState.FAILED
        self._set_busy(False)
        self._teardown(reason)
        self.sig_start_failed.emit(reason)

    def _on_bridge_start_failed(self, error: str) -> None:
        self._fail_start(f"webR failed to start: {error}")

    def _on_page_load_failed(self, error: str) -> None:
        if self._state is SessionState.STARTING:
            self._fail_start(error)

    def _on_start_timeout(self) -> None:
        if self._state is SessionState.STARTING and self._info is None:
            self._fail_start(f"webR did not start within {START_TIMEOUT_MS // 1000} s")

    def _on_page_render_terminated(self, reason: str) -> None:
        self._start_timer.stop()
        self._interrupt_guard.stop()
        self._state = SessionState.CRASHED
        self._set_busy(False)
        self._teardown(f"R crashed: {reason}")
        self.sig_crashed.emit(reason)
