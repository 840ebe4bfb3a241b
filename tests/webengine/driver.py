"""A test driver for a real RSession: records everything it reports, waits on its signals."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer

from webr_desktop.runtime.session import RSession, SessionState
from webr_desktop.server.local_server import LocalServer

# Bounds only a hang breaks (issue 14 item 9), >= 10x the slowest time measured with two CPU
# hogs beside the tests on a shared 2-core machine (load average 9-10):
# interrupt() of a busy R loop -> the prompt is back: 36-250 ms measured (was 2 s).
INTERRUPT_TIMEOUT = 10_000
# run()/eval() of ordinary console input: a few ms quiet, up to 7.1 s measured (a plot page).
R_TIMEOUT = 60_000


def wait_for(signal, timeout_ms: int) -> list:
    """Block on a Qt signal outside a pytest-qt test (module fixtures); returns its args."""
    loop = QEventLoop()
    got: list = []

    def on_signal(*args) -> None:
        got.append(args)
        loop.quit()

    timer = QTimer(singleShot=True, interval=timeout_ms)
    timer.timeout.connect(loop.quit)
    signal.connect(on_signal)
    timer.start()
    loop.exec()
    signal.disconnect(on_signal)
    if not got:
        raise TimeoutError(f"signal not emitted within {timeout_ms} ms")
    return list(got[0])


class RDriver:
    """Collects a session's output, echoes and prompts in order."""

    def __init__(self, session: RSession) -> None:
        self.session = session
        self.server: LocalServer | None = None  # set by the fixtures that started the session
        self.events: list[tuple[str, str]] = []  # (kind, text): stdout/stderr/input/prompt
        self.prompts = 0
        session.sig_output_received.connect(self._on_output)
        session.sig_input_sent.connect(lambda p, line: self.events.append(("input", p + line)))
        session.sig_prompt_shown.connect(self._on_prompt)

    def _on_output(self, chunk: list[tuple[str, str]]) -> None:
        self.events.extend(chunk)

    def _on_prompt(self, prompt: str) -> None:
        self.prompts += 1
        self.events.append(("prompt", prompt))

    def mark(self) -> int:
        return len(self.events)

    def since(self, mark: int, kinds: tuple[str, ...] = ("stdout", "stderr")) -> list[tuple[str, str]]:
        return [e for e in self.events[mark:] if e[0] in kinds]

    def text(self, mark: int, kind: str = "stdout") -> list[str]:
        return [t for k, t in self.events[mark:] if k == kind]

    def run(self, qtbot, code: str, timeout: int = R_TIMEOUT) -> list[tuple[str, str]]:
        """Send console input and wait until R asks for input again; returns output."""
        mark, prompts = self.mark(), self.prompts
        self.session.write_console(code)
        qtbot.waitUntil(lambda: self.prompts > prompts and self.session.state is SessionState.IDLE, timeout=timeout)
        return self.since(mark)

    def eval(self, qtbot, code: str, timeout: int = R_TIMEOUT):
        request = self.session.eval(code)
        result: dict = {}
        request.sig_finished.connect(lambda v: result.setdefault("value", v))
        request.sig_failed.connect(lambda e: result.setdefault("error", e))
        qtbot.waitUntil(lambda: bool(result), timeout=timeout)
        if "error" in result:
            raise AssertionError(f"R eval failed: {result['error']}")
        return result["value"]


def ide_window(driver: RDriver, tmp_path: Path, settings=None, network=None):
    """The whole IDE window as webr_desktop.app builds it, with ``tmp_path`` open as the project folder."""
    from PySide6.QtCore import QSettings

    from webr_desktop.app import build_window, new_project
    from webr_desktop.core.history import History
    from webr_desktop.core.recent_folders import RecentFolders

    settings = settings or QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    project = new_project(driver.session, driver.server)
    project.open_folder(tmp_path)
    return build_window(
        driver.session, project, settings, History(), RecentFolders(tmp_path / "recent.json"), network,
        server=driver.server,
    )
