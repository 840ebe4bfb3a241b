"""PackageSession: the persistent library and the package service, inside every R start.

At each R start (``sig_started``) R gets the library at ``R_LIBS_USER``, first on
``.libPaths()``, and the package verbs' endpoints (``.wd.pkg_start``, resources/R/packages.R);
those evals reach the worker before any console line. Afterwards R tells the app about what
the user may act on by posting ``wd-packages`` with an id: a package R had loaded was updated
or removed (offer Restart R), or ``library(foo)`` failed for a package a configured source has
(offer to install it; nothing installs unless the user asks). Installs made by anything else
(the Packages pane, the CLI through the route) are pushed into R's view of the library.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from webr_desktop.core import paths
from webr_desktop.core.rcode import r_string
from webr_desktop.runtime.session import RSession

log = logging.getLogger(__name__)

R_LIBS_USER = "/home/web_user/R/wasm32-unknown-emscripten-library/4.6"  # webR's own R_LIBS_USER


@dataclass(frozen=True)
class PackageEndpoints:
    """Where R reaches the library and the package service (secret URLs on the LocalServer)."""

    files_url: str  # read-only static mount of the library: <files_url><pkg>/<path>
    library_url: str  # manifests and load bundles (server.library_view)
    api_url: str  # the package route (server.packages)
    blob_url: str  # uploads: built packages, install.packages(file, repos = NULL)


class PackageSession(QObject):
    """Sets R up for the library at every start and turns R's offers into signals."""

    sig_library_changed = Signal(list)  # names installed or removed, by any path
    sig_progress = Signal(dict)  # one install step (core.packages.service.Progress.as_json)
    sig_restart_suggested = Signal(list)  # packages R had loaded that were updated/removed
    sig_install_offered = Signal(str, str)  # (package, source): library(foo) failed, a source has it
    _sig_changed_elsewhere = Signal(list)  # from the server thread, handled on Qt's
    _sig_progress_elsewhere = Signal(dict)

    def __init__(self, session: RSession, endpoints: PackageEndpoints, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._endpoints = endpoints
        resources = paths.resources_dir() / "worker"
        self._lazy_js = (resources / "lazy_library.js").read_text(encoding="utf-8")
        self._api_js = (resources / "packages_api.js").read_text(encoding="utf-8")
        self.started = False  # R has the library (this R start)
        session.sig_started.connect(self._on_session_started)
        session.sig_message_received.connect(self._on_session_message)
        self._sig_changed_elsewhere.connect(self._on_changed)
        self._sig_progress_elsewhere.connect(self.sig_progress)

    # Called from the package route's thread.
    def report_changed(self, names: list[str]) -> None:
        self._sig_changed_elsewhere.emit(list(names))

    def report_progress(self, event: object) -> None:
        as_json = getattr(event, "as_json", None)
        self._sig_progress_elsewhere.emit(as_json() if callable(as_json) else {})

    def _on_session_started(self, _ready: object) -> None:
        self.started = False
        e = self._endpoints
        code = (
            f".wd.pkg_start({r_string(R_LIBS_USER)}, {r_string(e.files_url)}, {r_string(e.library_url)}, "
            f"{r_string(e.api_url)}, {r_string(e.blob_url)}, {r_string(self._lazy_js)}, {r_string(self._api_js)})"
        )
        request = self._session.eval(code)
        request.sig_finished.connect(self._on_started)
        request.sig_failed.connect(self._on_start_failed)

    def _on_started(self, _value: object) -> None:
        self.started = True

    def _on_start_failed(self, error: str) -> None:
        if not error.startswith("R session"):  # not a restart under way
            log.warning("the package library could not be set up in R: %s", error)
            self._session.sig_notice.emit(f"The package library is not available in this R session: {error}")

    def _on_changed(self, names: list[str]) -> None:
        if self.started:
            self._session.eval(f".wd.pkg_sync(c({', '.join(r_string(n) for n in names)}))")
        self.sig_library_changed.emit(names)

    def _on_session_message(self, msg: object) -> None:
        if getattr(msg, "type", None) != "wd-packages":
            return
        data = getattr(msg, "data", None)
        event_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(event_id, int):
            return
        request = self._session.eval(f".wd.pkg_event({event_id}L)")
        request.sig_finished.connect(self._on_event)

    def _on_event(self, value: object) -> None:
        items = [value] if isinstance(value, str) else list(value or [])
        if len(items) < 3 or not all(isinstance(v, str) for v in items):
            return
        kind, source, packages = items[0], items[1], items[2:]
        if kind == "restart":
            self.sig_restart_suggested.emit(packages)
        elif kind == "missing":
            self.sig_install_offered.emit(packages[0], source)

