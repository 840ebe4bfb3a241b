"""``webr-desktop run``: R with no window, like Rscript, and the network wait it needs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from webr_desktop.app.services import check_runtime_or_report, start_services
from webr_desktop.runtime.engine import configure_engine, route_qt_messages_to_logging

if TYPE_CHECKING:
    from webr_desktop.net.proxy import NetworkService
    from webr_desktop.runtime.headless import PlotOutput


def run_headless(
    source: str, filename: str, *, stdout: TextIO | None = None, stderr: TextIO | None = None,
    plots: PlotOutput | None = None, mount: Path | None = None, network: bool = True,
) -> int:
    """Run R source with no window; returns the exit status. ``mount``: R's working directory."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    info = check_runtime_or_report(err)
    if info is None:
        return 2
    configure_engine(headless=True)
    route_qt_messages_to_logging()
    from PySide6.QtGui import QGuiApplication

    from webr_desktop.runtime.headless import ScriptRunner

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    services = start_services(info, network=network, script=True)
    _wait_for_network(services.network)  # R boots meanwhile; the script's first socket must work
    if mount is not None:
        services.project.sig_problem.connect(lambda text: err.write(f"webr-desktop run: {text}\n"))
        services.project.open_folder(mount)  # mounted and set before the script starts
    runner = ScriptRunner(services.session, source, filename, out, err, plots)
    status: list[int] = []

    def _on_runner_finished(code: int) -> None:
        status.append(code)
        app.quit()

    runner.sig_finished.connect(_on_runner_finished)
    app.exec()
    services.shutdown()
    return status[0] if status else 2


def _wait_for_network(network: NetworkService, timeout_ms: int = 12_000) -> None:
    """Run the event loop until the proxy is on, failed or off (a script's sockets need it)."""
    from PySide6.QtCore import QEventLoop, QTimer

    if network.state != "starting":
        return
    loop = QEventLoop()
    network.sig_state_changed.connect(lambda state, _detail: state != "starting" and loop.quit())
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
