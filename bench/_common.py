"""Shared helpers for the benchmarks: private environment, the bare baseline server and page,
statistics, nested-event-loop waits, and the real app's pieces wired like ``app.run_gui``.

Benchmarks are scripts: each prints one JSON object whose ratios compare webR Desktop with
raw webR ("bare") measured in the same run, because the machine is noisy.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from argparse import ArgumentParser
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
BARE_DIR = BENCH_DIR / "bare"
WEBR_DIST = ROOT / "wasm" / "dist"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
BARE_READY_TITLE = "webr-ready"  # set by bare.js when webR.init() resolves
BARE_ANSWERED_TITLE = "webr-answered"  # then when a first evalRNumber('0') answered

if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/, not the root, on sys.path
    sys.path.insert(1, str(ROOT))


# ----------------------------------------------------------------------------- environment
def private_env() -> Path:
    """Point HOME and the XDG dirs at a fresh temp dir (removed at exit); Qt offscreen.

    Child processes inherit it, so no run ever touches the real user's settings or data.
    """
    home = Path(tempfile.mkdtemp(prefix="webr-desktop-bench-"))
    atexit.register(shutil.rmtree, home, True)
    os.environ["HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    os.environ["XDG_DATA_HOME"] = str(home / ".local" / "share")
    os.environ["XDG_CACHE_HOME"] = str(home / ".cache")
    os.environ["XDG_RUNTIME_DIR"] = str(home / "runtime")
    (home / "runtime").mkdir(mode=0o700)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return home


def python_exe() -> str:
    return str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))


def emit_json(result: dict[str, Any]) -> None:
    """The script's one line of stdout."""
    sys.stdout.write(json.dumps(result, sort_keys=False) + "\n")
    sys.stdout.flush()


# ----------------------------------------------------------------------------- load
# A CPU hog that also ends on its own once its parent is gone (even after SIGKILL of the
# benchmark, when no ``finally`` runs): it checks its parent id between short bursts of work.
_interrupted = threading.Event()
_HOG = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    for _ in range(200_000): pass\n"


def add_load_argument(parser: ArgumentParser) -> None:
    """``--load N``: the figures are taken with N CPU-bound processes running beside them."""
    parser.add_argument("--load", type=int, default=0, metavar="N",
                        help="CPU-bound processes kept running during the measurement (default 0)")


@contextmanager
def cpu_load(n: int) -> Iterator[list[int]]:
    """Run ``n`` busy-looping Python processes for the body; yield their pids.

    Why processes, not threads: a thread would share this process's GIL and slow the benchmark
    itself rather than compete for the cores as a browser or a video call does. They are killed
    and reaped on every way out of the body (a normal end, an exception, KeyboardInterrupt).
    SIGINT and SIGTERM kill them at once too: PySide swallows an exception raised inside a Qt
    slot, so a Ctrl+C that lands there would otherwise leave them running until the end.
    """
    if n < 0:
        raise ValueError(f"--load must be >= 0, got {n}")
    hogs: list[subprocess.Popen[bytes]] = []

    def stop_hogs() -> None:
        for hog in hogs:
            if hog.poll() is None:
                hog.kill()

    previous: dict[int, Any] = {}

    def on_signal(signum: int, frame: Any) -> None:
        stop_hogs()
        _interrupted.set()  # re-raised by the next wait (pause, wait_until, Waiter) outside a slot
        handler = previous.get(signum)
        if callable(handler):
            handler(signum, frame)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
        else:
            raise SystemExit(128 + signum)

    if n and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, on_signal)
    try:
        for _ in range(n):
            hogs.append(subprocess.Popen([sys.executable, "-c", _HOG], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        yield [hog.pid for hog in hogs]
    finally:
        stop_hogs()
        for hog in hogs:
            hog.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# ----------------------------------------------------------------------------- statistics
def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100) of a non-empty sequence."""
    if not values:
        return math.nan
    data = sorted(values)
    pos = (len(data) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def rnd(value: float, digits: int = 2) -> float:
    return round(float(value), digits)


# ----------------------------------------------------------------------------- bare server
class _BareHandler(SimpleHTTPRequestHandler):
    """Serves bench/bare at / and the webR dist at /webr/, cross-origin isolated."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the product's server
    extensions_map = {
        "": "application/octet-stream",
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".html": "text/html; charset=utf-8",
        ".json": "application/json",
    }

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean.startswith("/webr/"):
            self.directory = str(WEBR_DIST)
            return super().translate_path(clean[len("/webr") :])
        self.directory = str(BARE_DIR)
        return super().translate_path(clean)

    def end_headers(self) -> None:
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        super().end_headers()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        # Zero-copy like the product's server, so the baseline is not handicapped.
        try:
            self.connection.sendfile(source)
        except (OSError, ValueError):
            shutil.copyfileobj(source, outputfile)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class BareServer:
    """A stdlib ThreadingHTTPServer on 127.0.0.1 for the bare baseline page."""

    def __init__(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _BareHandler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="bare-http", daemon=True)

    def start(self) -> BareServer:
        self._thread.start()
        return self

    def url(self, relpath: str = "index.html") -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{relpath}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


# ----------------------------------------------------------------------------- Qt set-up
def init_qt() -> Any:
    """Configure QtWebEngine (headless) and create the QApplication."""
    from webr_desktop.runtime.engine import configure_engine, route_qt_messages_to_logging

    configure_engine(headless=True)
    route_qt_messages_to_logging()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # closing the window must not end nested loops
    return app


def run_bare_page(relpath: str, on_title: Callable[[str, Callable[[], None]], None], timeout_ms: int) -> None:
    """Show bench/bare/``relpath`` in a QWebEngineView (an off-the-record profile with a memory
    HTTP cache, like the product's page) and run the event loop until ``on_title(title, quit)``
    calls ``quit`` or ``timeout_ms`` pass; then tear it down, the page before its profile."""
    app = init_qt()
    from PySide6.QtCore import QTimer, QUrl
    from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
    from PySide6.QtWebEngineWidgets import QWebEngineView

    server = BareServer().start()
    profile = QWebEngineProfile(app)
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    view = QWebEngineView()
    page = QWebEnginePage(profile, view)
    view.setPage(page)
    page.titleChanged.connect(lambda title: on_title(title, lambda: QTimer.singleShot(0, app.quit)))
    QTimer.singleShot(timeout_ms, app.quit)
    view.load(QUrl(server.url(relpath)))
    view.show()
    app.exec()
    view.close()
    del view, page  # the page (a child of the view) must go before the profile
    server.close()


class Waiter:
    """A nested event loop that runs until ``done()`` or a timeout (then TimeoutError)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        self._loop = QEventLoop()
        self._timer = QTimer(singleShot=True)
        self._timer.timeout.connect(self._loop.quit)
        self.fired = False

    def reset(self) -> None:
        self.fired = False

    def done(self, *_args: object) -> None:
        self.fired = True
        self._loop.quit()

    def wait(self, timeout_s: float, what: str) -> None:
        if not self.fired:
            self._timer.start(int(timeout_s * 1000))
            self._loop.exec()
            self._timer.stop()
        raise_if_interrupted()
        if not self.fired:
            raise TimeoutError(f"timed out after {timeout_s:g} s waiting for {what}")


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if Ctrl+C came while cpu_load ran (it may have hit a Qt slot)."""
    if _interrupted.is_set():
        raise KeyboardInterrupt


def pause(ms: int) -> None:
    """Let the event loop run for ``ms`` milliseconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    raise_if_interrupted()


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str, step_ms: int = 5) -> None:
    """Run the event loop until ``predicate()`` holds (polled; not for timing)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:g} s waiting for {what}")
        pause(step_ms)


def last_line_in_paint(view: Any, event: Any) -> bool:
    """Whether a viewport Paint event's region covers the view's last document line."""
    from PySide6.QtGui import QTextCursor

    cursor = QTextCursor(view.document())
    cursor.movePosition(QTextCursor.MoveOperation.End)
    return event.region().intersects(view.cursorRect(cursor))


def make_paint_probe(widget: Any, condition: Callable[[Any], bool], on_hit: Callable[[float], None]) -> Any:
    """Event filter on ``widget``: at the first Paint event (after ``armed`` is set) for which
    ``condition(event)`` holds, checked *before* the widget paints, so this paint draws that
    state, call ``on_hit(perf_counter())``. Remove it with ``removeEventFilter``.
    """
    from PySide6.QtCore import QEvent, QObject

    class _PaintProbe(QObject):
        armed = False

        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
            if self.armed and event.type() == QEvent.Type.Paint and condition(event):
                self.armed = False
                on_hit(time.perf_counter())
            return False

    probe = _PaintProbe()
    widget.installEventFilter(probe)
    return probe


# ----------------------------------------------------------------------------- the real app
@dataclass
class AppParts:
    services: Any  # webr_desktop.app.Services
    window: Any  # MainWindow
    console: Any  # ConsolePane

    def close(self) -> None:
        self.window.close()
        self.services.shutdown()


def build_app() -> AppParts:
    """Build the IDE exactly as ``webr_desktop.app.run_gui`` does, minus ``app.exec()``:
    services first (webR boots while the window is built), then ``build_window``, show, focus.
    """
    from PySide6.QtCore import QSettings

    from webr_desktop.app import open_ide
    from webr_desktop.core.runtime_assets import check_runtime

    services, window, console = open_ide(check_runtime(), QSettings())
    return AppParts(services=services, window=window, console=console)


def wait_first_prompt(parts: AppParts, timeout_s: float = 60.0) -> None:
    """Wait until the console shows R's first prompt (and its start-up output is drawn)."""
    from webr_desktop.runtime.session import SessionState

    session = parts.services.session
    wait_until(lambda: session.state is SessionState.IDLE, timeout_s, "the first prompt")
    wait_until(lambda: parts.console.output.pending_lines == 0, 10, "start-up output")
    pause(300)  # let the width debounce (150 ms) and its options(width) eval settle


# ----------------------------------------------------------------------------- bare page
class BarePage:
    """Raw webR in a view-less page of the same engine, with a tiny QWebChannel bridge."""

    def __init__(self, url: str) -> None:
        from PySide6.QtCore import QObject, QUrl, Signal, Slot
        from PySide6.QtWebChannel import QWebChannel
        from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile

        from webr_desktop.runtime.page import webchannel_script

        owner = self

        class BenchBridge(QObject):
            sig_request = Signal(int, str, str)  # (id, op, code)

            @Slot(int, float, float, float)
            def reply(self, request_id: int, value: float, js_ms: float, first_ms: float) -> None:
                owner._on_reply(request_id, value, js_ms, first_ms)

            @Slot(int, str)
            def text(self, request_id: int, text: str) -> None:
                owner.texts[request_id] = text

            @Slot()
            def ready(self) -> None:
                owner._ready.done()

        self._ready = Waiter()
        self._reply_waiter = Waiter()
        self._want_id = 0
        self._result: tuple[float, float, float, float] = (math.nan,) * 4
        self.first_ms = math.nan  # the last flood: JS ms from writeConsole to the first stdout
        self._next_id = 1
        self.texts: dict[int, str] = {}  # text payloads of 'view' requests, by request id
        self.profile = QWebEngineProfile()  # off-the-record, like the product's
        self.profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self.page = QWebEnginePage(self.profile)
        self.bridge = BenchBridge()
        self.channel = QWebChannel()
        self.channel.registerObject("bench", self.bridge)
        self.page.setWebChannel(self.channel)
        self.page.scripts().insert(webchannel_script())
        self.page.load(QUrl(url))

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        self._ready.wait(timeout_s, "the bare page's webR")

    def request(self, op: str, code: str, timeout_s: float) -> tuple[float, float, float]:
        """Send one request; returns (ms from emit to reply in Python, value, ms inside JS)."""
        request_id = self._next_id
        self._next_id += 1
        self._want_id = request_id
        self._reply_waiter.reset()
        t0 = time.perf_counter()
        self.bridge.sig_request.emit(request_id, op, code)
        self._reply_waiter.wait(timeout_s, f"bare {op} reply")
        t_reply, value, js_ms, self.first_ms = self._result
        return (t_reply - t0) * 1000.0, value, js_ms

    def _on_reply(self, request_id: int, value: float, js_ms: float, first_ms: float) -> None:
        if request_id == self._want_id:
            self._result = (time.perf_counter(), value, js_ms, first_ms)
            self._reply_waiter.done()

    def close(self) -> None:
        import shiboken6

        self.page.setWebChannel(None)
        shiboken6.delete(self.page)  # pages must go before their profile
        shiboken6.delete(self.profile)


@contextmanager
def bare_page() -> Iterator[BarePage]:
    """A bare webR page on its own server, ready for requests; both closed afterwards."""
    server = BareServer().start()
    page = BarePage(server.url())
    try:
        page.wait_ready()
        yield page
    finally:
        page.close()
        server.close()
