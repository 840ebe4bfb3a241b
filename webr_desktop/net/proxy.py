"""NetworkService: owns the websockify child that carries R's sockets, and its state.

The child (``webr_desktop.net.proxy_main``; in a bundle the app's own binary with a private
flag, see core.frozen) binds 127.0.0.1 on a free port and reports it on
stdout; the per-run secret and the page's Origin reach it through the environment. If the
child dies it is started again (R's next connection uses the new port once the lead's wiring
re-sends ``r_config_code()``); ``stop()`` leaves no child behind.
"""

from __future__ import annotations

import secrets
import time

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from webr_desktop.core import frozen, paths
from webr_desktop.core.rcode import r_string
from webr_desktop.net.tokens import ALLOW_ENV, ORIGIN_ENV, POLICIES, POLICY_ENV, SECRET_ENV, DestinationPolicy

START_TIMEOUT_MS = 10_000
MAX_QUICK_RESTARTS = 3  # within RESTART_WINDOW seconds, then give up: "failed"
RESTART_WINDOW = 10.0
OFF, STARTING, ON, FAILED = "off", "starting", "on", "failed"


WORKER_SNIPPETS = ("sockfs_route.js", "fetch_download.js", "xhr_route.js")


def _worker_js(name: str) -> str:
    return (paths.resources_dir() / "worker" / name).read_text(encoding="utf-8")


class NetworkService(QObject):
    """Runs the proxy child; ``sig_state_changed(state, detail)`` on every change."""

    sig_state_changed = Signal(str, str)

    def __init__(self, origin: str, *, fetch_url: str = "", policy: str = "all",
                 allow: tuple[str, ...] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        if policy not in POLICIES:
            raise ValueError(f"unknown network policy {policy!r}")
        self._origin = origin
        self._fetch_url = fetch_url
        self._policy, self._allow = policy, allow
        self._secret = secrets.token_urlsafe(24)
        self._state, self._detail = OFF, ""
        self._port = 0
        self._process: QProcess | None = None
        self._wanted = False
        self._starts: list[float] = []
        self._stdout = b""
        self._start_timer = QTimer(self, singleShot=True, interval=START_TIMEOUT_MS)
        self._start_timer.timeout.connect(self._on_start_timeout)

    # -- state ---------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    @property
    def detail(self) -> str:
        return self._detail

    @property
    def is_on(self) -> bool:
        return self._state == ON

    @property
    def port(self) -> int:
        """The proxy's port while on, else 0."""
        return self._port if self._state == ON else 0

    @property
    def secret(self) -> str:
        return self._secret

    @property
    def policy(self) -> tuple[str, tuple[str, ...]]:
        """The destination policy and its allowed hosts."""
        return self._policy, self._allow

    def destination_policy(self) -> DestinationPolicy | None:
        """The policy R's traffic must pass now, or None while networking is switched off (the
        toggle, ``run --no-network``, a proxy that failed). The fetch service asks this at every
        request, from server threads: it reads two plain attributes, no Qt."""
        return DestinationPolicy(self._policy, self._allow) if self._wanted else None

    def pid(self) -> int:
        """The child's process id (0 when none runs); for tests and diagnostics."""
        proc = self._process
        return int(proc.processId()) if proc is not None and proc.state() != QProcess.NotRunning else 0

    def _set_state(self, state: str, detail: str = "") -> None:
        if (state, detail) == (self._state, self._detail):
            return
        self._state, self._detail = state, detail
        self.sig_state_changed.emit(state, detail)

    # -- control -------------------------------------------------------------------------
    def set_policy(self, policy: str, allow: tuple[str, ...] = ()) -> None:
        """Change the destination policy; a running child is restarted to apply it."""
        if policy not in POLICIES:
            raise ValueError(f"unknown network policy {policy!r}")
        self._policy, self._allow = policy, tuple(allow)
        if self._wanted:
            self._kill_child()
            self._launch()

    def start(self) -> None:
        """Start the child (no-op if running); the state goes starting → on (or failed)."""
        self._wanted = True
        self._starts.clear()
        if self._process is None:
            self._launch()

    def stop(self) -> None:
        """Stop the child and wait for it (≤ 2 s): no proxy process outlives this call."""
        self._wanted = False
        self._start_timer.stop()
        self._kill_child()
        self._port = 0
        self._set_state(OFF)

    shutdown = stop

    def toggle(self) -> None:
        self.stop() if self._wanted else self.start()

    def _launch(self) -> None:
        self._starts = [t for t in self._starts if time.monotonic() - t < RESTART_WINDOW]
        if len(self._starts) >= MAX_QUICK_RESTARTS:
            self._wanted = False
            self._set_state(FAILED, self._detail or "the network proxy keeps exiting")
            return
        self._starts.append(time.monotonic())
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert(SECRET_ENV, self._secret)
        env.insert(ORIGIN_ENV, self._origin)
        env.insert(POLICY_ENV, self._policy)
        env.insert(ALLOW_ENV, ",".join(self._allow))
        env.insert("PYTHONUNBUFFERED", "1")
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._on_child_stdout)
        proc.finished.connect(lambda code, status, p=proc: self._on_child_finished(p, code))
        proc.errorOccurred.connect(lambda err, p=proc: self._on_child_error(p, err))
        self._process, self._stdout, self._port = proc, b"", 0
        self._set_state(STARTING)
        self._start_timer.start()
        proc.start(*frozen.proxy_child_command())  # a bundle re-invokes its own binary

    def _kill_child(self) -> None:
        proc, self._process = self._process, None
        if proc is None:
            return
        proc.blockSignals(True)  # its exit is expected: no restart
        if proc.state() != QProcess.NotRunning:
            proc.terminate()  # websockify ends its per-connection children on SIGTERM
            if not proc.waitForFinished(1500):
                proc.kill()  # can't be ignored; a loaded machine may take a while to reap it
                proc.waitForFinished(5000)
        proc.deleteLater()

    # -- child events --------------------------------------------------------------------
    def _on_child_stdout(self) -> None:
        proc = self._process
        if proc is None:
            return
        self._stdout += bytes(proc.readAllStandardOutput())
        if self._state != STARTING or b"\n" not in self._stdout:
            return
        first = self._stdout.split(b"\n", 1)[0].decode("ascii", "replace").strip()
        if first.startswith("PORT ") and first[5:].isdigit():
            self._start_timer.stop()
            self._port = int(first[5:])
            self._set_state(ON, f"127.0.0.1:{self._port}")

    def _on_child_finished(self, proc: QProcess, code: int) -> None:
        if proc is not self._process:
            return
        try:
            err = bytes(proc.readAllStandardError()).decode("utf-8", "replace").strip().splitlines()
        except RuntimeError:  # Qt is destroying the QProcess (its owner went without stop()): nothing to restart
            self._process = None
            return
        self._process, self._port = None, 0
        proc.deleteLater()
        detail = err[-1] if err else f"the network proxy exited (status {code})"
        if self._wanted:
            self._detail = detail
            self._launch()  # R's next connection goes to the new port
        else:
            self._set_state(OFF)

    def _on_child_error(self, proc: QProcess, error: QProcess.ProcessError) -> None:
        if proc is self._process and error == QProcess.FailedToStart:
            self._process = None
            self._wanted = False
            self._set_state(FAILED, f"cannot start the network proxy: {proc.errorString()}")

    def _on_start_timeout(self) -> None:
        if self._state == STARTING:
            self._wanted = False
            self._kill_child()
            self._set_state(FAILED, "the network proxy did not start in time")

    # -- R side --------------------------------------------------------------------------
    def r_setup_code(self) -> str:
        """R code for each R start: installs the worker-side routing, then ``r_config_code``."""
        snippets = [f"webr::eval_js({r_string(_worker_js(name))})" for name in WORKER_SNIPPETS]
        return "\n".join([*snippets, self.r_config_code()])

    def r_config_code(self) -> str:
        """R code for each state change: the current port, secret and state (routing installed)."""
        port = self.port
        return "\n".join([
            ".wd.net_configure(port = {}L, secret = {}, on = {}, fetch_url = {}, policy = {}, status = {})".format(
                port, r_string(self._secret), "TRUE" if port else "FALSE", r_string(self._fetch_url),
                r_string(self._policy), r_string(self._state)),
            "invisible(NULL)",
        ])
