"""PackagesService: the Packages pane's link to R and to the host's package manager.

R is asked only what R knows (which packages it sees, has loaded, has attached) and does the
attaching (resources/R/pkgpane.R). Everything else (search, plans, downloads, installs,
removal) is webr_desktop.core.packages, run in worker threads (JobRunner): the GUI thread never
waits on the network or the disk. Installs report per-package progress as they go.

The list refreshes after every console command that can change packages (and after the
pane's own installs, and whenever the package route says R installed something). When R's
error says ``there is no package called 'foo'`` and a configured source has foo, the service
offers it (``sig_missing_package``); nothing installs until the user accepts.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from webr_desktop.core.packages import sources as sources_mod
from webr_desktop.core.packages.model import SOURCE, Candidate, IndexStatus
from webr_desktop.core.packages.resolver import PlanItem
from webr_desktop.core.packages.service import PackageService, Progress
from webr_desktop.core.rcode import r_string
from webr_desktop.models.package_jobs import JobRunner
from webr_desktop.models.packages import PackageRow, PackagesModel, RPackageState, build_groups, parse_state
from webr_desktop.models.system_library import SystemLibrary
from webr_desktop.runtime.session import RSession, SessionState

log = logging.getLogger(__name__)

# Console input after which the package list may have changed: installs, removals, loads.
_MAY_CHANGE = re.compile(r"packages|library|require|attach|detach|Namespace|install|remove|source|::")
# R's own error for a package it can't find (library, require, loadNamespace, ::).
_NO_PACKAGE = re.compile(r"there is no package called [\u2018'\"]([A-Za-z][A-Za-z0-9.]*)[\u2019'\"]")
SEARCH_LIMIT = 500


def describe_sources(statuses: Sequence[IndexStatus]) -> str:
    """One line for the pane: which sources are offline, stale or broken ("" if none)."""
    parts = []
    for s in statuses:
        if s.source == "cache":
            continue
        if not s.ok:
            parts.append(f"{s.source}: unreachable, no saved index ({s.error or 'no index'})")
        elif s.stale:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.fetched_at)) if s.fetched_at is not None else "earlier"
            parts.append(f"{s.source}: offline, using the index saved {when}")
    return "; ".join(parts)


class PackagesService(QObject):
    """Keeps a PackagesModel in step and runs the pane's package work; see the module docstring."""

    sig_refreshed = Signal()
    sig_problem = Signal(str)  # something failed (R's or the package manager's message)
    sig_r_said = Signal(str)  # what R said when attaching or detaching (why a detach failed)
    sig_sources_checked = Signal(object, str)  # (list[IndexStatus], summary: "" if all fine)
    sig_search_finished = Signal(str, object)  # (query, list[Candidate])
    sig_plan_ready = Signal(int, object)  # (request id, list[PlanItem])
    sig_plan_failed = Signal(int, str)
    sig_install_progress = Signal(object)  # Progress: queued, download (bytes), unpack, install, done, error
    sig_install_finished = Signal(list)  # names installed
    sig_install_failed = Signal(str)
    sig_updates_found = Signal(object)  # list[dict]: package, installed, available, source, kind
    sig_removed = Signal(list)
    sig_restart_offered = Signal(list)  # names R has loaded that an update or removal changed
    sig_missing_package = Signal(str, object)  # (name, Candidate a source offers)

    def __init__(self, session: RSession, model: PackagesModel, core: PackageService | None,
                 *, sources_file: Path | None = None, system_cache: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        # webR's system library, per webR and R version: R lists it once, then never again
        # (its first listing costs 0.3-1 s of an R start: .wd.pkg_state in pkgpane.R)
        self._system = SystemLibrary(system_cache)
        self._asked: tuple[str, list[PackageRow] | None] = ("", None)  # the system key and rows R was spared
        self._session = session
        self.model = model
        self.core = core
        self.sources_file = sources_file  # where Packages ▸ Repositories… saves (None: not saved)
        self.jobs = JobRunner(parent=self)
        self._r_state: RPackageState | None = None
        self._user_rows: list[PackageRow] = []
        self._pending_parts = 0  # refresh parts (host listing, R state) still out
        self._queued = False
        self._lines: list[str] = []  # console input since the last prompt
        self._offered: set[str] = set()  # missing packages offered during this command
        self._r_install: dict | None = None  # a plan R is installing from the console
        self.watch_console = True  # offer missing packages from R's error text (unless R reports them)
        self._next_plan = 0
        self.last_refresh_ms: float | None = None
        self._started = 0.0
        model.sig_attach_requested.connect(self.set_attached)
        session.sig_input_sent.connect(self._on_input_sent)
        session.sig_command_finished.connect(self._on_command_finished)
        session.sig_output_received.connect(self._on_output)
        session.sig_started.connect(self._on_session_started)  # bound: dropped if this service goes first
        if session.state is SessionState.IDLE:
            self.refresh()
        else:
            self._refresh_host(counted=False)  # the user library shows before R is up

    # ------------------------------------------------------------------ the list
    @property
    def busy(self) -> bool:
        return self._pending_parts > 0 or self._queued

    def refresh(self) -> None:
        """Re-read the host library and ask R what it sees (coalesced: one at a time)."""
        if self._pending_parts:
            self._queued = True
            return
        self._queued = False
        self._started = time.perf_counter()
        self._pending_parts = 2
        self._refresh_host()
        skip = "TRUE" if self.core is not None else "FALSE"  # the host lists the user library
        key = self._system_key()
        known = self._system.rows(key)
        self._asked = (key, known)  # one R state request at a time (refresh() coalesces)
        request = self._session.eval(f".wd.pkg_state(skip_user = {skip}, skip_system = {'TRUE' if known else 'FALSE'})")
        request.sig_finished.connect(self._on_state)  # bound: dropped if this service goes first
        request.sig_failed.connect(self._on_state_failed)

    def _system_key(self) -> str:
        info = self._session.info
        return f"webR {info.webr_version} R {info.r_version}" if info is not None else ""

    def _refresh_host(self, *, counted: bool = True) -> None:
        done = self._on_host_rows if counted else self._on_early_rows
        if self.core is None:
            self.jobs.call_soon(done, [])
            return
        core = self.core

        def listing() -> list[PackageRow]:
            return [PackageRow(p.name, p.version, p.title, p.source, str(core.library.root))
                    for p in core.installed()]

        self.jobs.run(listing, done, lambda exc: done([], str(exc)))

    def _on_early_rows(self, rows: list[PackageRow], error: str = "") -> None:
        if not self._pending_parts:  # a full refresh since then knows better
            self._user_rows = rows
            self._show()

    def _on_host_rows(self, rows: list[PackageRow], error: str = "") -> None:
        self._user_rows = rows
        if error:
            self.sig_problem.emit(f"The user library could not be read: {error}")
        self._part_done()

    def _on_state(self, value: object) -> None:
        key, known = self._asked
        try:
            state = parse_state(value)
            if known:
                state = replace(state, rows=[*state.rows, *known])
            elif key:
                self._system.remember(key, state.system, [r for r in state.rows if r.library == state.system])
            self._r_state = state
        except ValueError as exc:
            log.warning("package state: %s", exc)
            self.sig_problem.emit(f"The package list could not be refreshed: {exc}")
        self._part_done()

    def _on_state_failed(self, error: str) -> None:
        if self._session.state in (SessionState.IDLE, SessionState.BUSY):
            self.sig_problem.emit(f"The package list could not be refreshed: {error}")
        self._part_done()

    def _part_done(self) -> None:
        self._pending_parts -= 1
        if self._pending_parts:
            return
        self._show()
        self.last_refresh_ms = (time.perf_counter() - self._started) * 1000
        self.sig_refreshed.emit()
        if self._queued:
            self.refresh()

    def _show(self) -> None:
        user = str(self.core.library.root) if self.core is not None else None
        self.model.set_groups(build_groups(user, self._user_rows, self._r_state))
        if self._r_state is not None:
            self.model.set_loaded(self._r_state.loaded, self._r_state.attached)

    def _on_session_started(self, _ready: object) -> None:
        self.refresh()

    # ------------------------------------------------------------------ attach / detach
    def set_attached(self, name: str, attach: bool) -> None:
        """``library(name)`` or ``detach("package:name", unload = TRUE)`` in R; what R says
        (e.g. why it can't detach) goes to ``sig_r_said``; the check marks follow R."""
        call = ".wd.pkg_attach" if attach else ".wd.pkg_detach"
        request = self._session.eval(f"{call}({r_string(name)})")
        request.sig_finished.connect(self._on_attach_done)
        request.sig_failed.connect(self._on_attach_failed)

    def _on_attach_done(self, value: object) -> None:
        message = value.get("message") if isinstance(value, dict) else None
        if isinstance(message, str) and message.strip():
            self.sig_r_said.emit(message.strip())
        self.refresh()

    def _on_attach_failed(self, error: str) -> None:
        self.sig_r_said.emit(error)
        self.refresh()

    # ------------------------------------------------------------------ console commands
    def _on_input_sent(self, _prompt: str, line: str) -> None:
        self._lines.append(line)
        if self._r_install is not None and line == self._r_install["line"]:
            self._r_install["sent"] = True

    def _on_command_finished(self) -> None:
        job = self._r_install
        if job is not None and job["sent"]:  # R's install ended without every package in place
            self._r_install = None
            missing = sorted(job["pending"] - job["done"])
            self.sig_install_failed.emit(f"R's install.packages() did not install {', '.join(missing)}: "
                                         f"the console says why.")
        lines, self._lines = self._lines, []
        self._offered.clear()
        if any(_MAY_CHANGE.search(line) for line in lines):
            self.refresh()

    def _on_output(self, chunk: list[tuple[str, str]]) -> None:
        if not self.watch_console:
            return
        for stream, text in chunk:
            if stream != "stderr" or "there is no package" not in text:
                continue
            for name in _NO_PACKAGE.findall(text):
                if name not in self._offered:
                    self._offered.add(name)
                    self.offer_missing(name)

    def offer_missing(self, name: str) -> None:
        """If a configured source has ``name`` (and it isn't installed), offer to install it."""
        core = self.core
        if core is None:
            return

        def look() -> Candidate | None:
            if name in core.library.versions():
                return None
            found = core.candidates(name)
            return found[0] if found else None

        self.jobs.run(look, lambda c: c is not None and self.sig_missing_package.emit(name, c),
                      lambda exc: log.info("missing-package lookup for %s failed: %s", name, exc))

    # ------------------------------------------------------------------ sources, search, plans
    def check_sources(self, *, network: bool = True) -> None:
        """Load every source's index (``network``: ask repositories for newer ones)."""
        if self.core is None:
            return
        core = self.core
        self.jobs.run(lambda: core.refresh(network=network), self._on_statuses,
                      lambda exc: self.sig_problem.emit(f"The package sources could not be read: {exc}"))

    def _on_statuses(self, statuses: list[IndexStatus]) -> None:
        self.sig_sources_checked.emit(statuses, describe_sources(statuses))

    def search(self, query: str) -> None:
        """Search every source by name and title (the newest version of each package)."""
        core = self._need_core()
        if core is None:
            return

        def find() -> tuple[list[Candidate], list[IndexStatus]]:
            return core.available(query, limit=SEARCH_LIMIT), core.statuses

        def done(value: tuple[list[Candidate], list[IndexStatus]]) -> None:
            found, statuses = value
            self._on_statuses(statuses)
            self.sig_search_finished.emit(query, found)

        self.jobs.run(find, done, lambda exc: self.sig_problem.emit(str(exc)))

    def plan(self, names: Sequence[str]) -> int:
        """Plan installing ``names`` with their dependencies; the answer names this request."""
        return self._plan(lambda core: core.plan(list(names)))

    def plan_file(self, path: Path) -> int:
        """Plan installing an archive file (``.tgz`` binary or ``.tar.gz`` source)."""
        return self._plan(lambda core: core.plan_files([Path(path)]))

    def _plan(self, make) -> int:  # noqa: ANN001 - a function of the core service
        self._next_plan += 1
        request = self._next_plan
        core = self._need_core()
        if core is None:
            self.sig_plan_failed.emit(request, "No package manager is configured.")
            return request
        self.jobs.run(lambda: make(core), lambda plan: self.sig_plan_ready.emit(request, plan),
                      lambda exc: self.sig_plan_failed.emit(request, str(exc)))
        return request

    def check_updates(self) -> None:
        core = self._need_core()
        if core is not None:
            self.jobs.run(core.old_packages, self.sig_updates_found.emit,
                          lambda exc: self.sig_problem.emit(f"Updates could not be checked: {exc}"))

    # ------------------------------------------------------------------ changes
    def install(self, plan: Sequence[PlanItem]) -> None:
        """Install a plan (all or nothing) in a worker, reporting per-package progress."""
        core = self._need_core()
        if core is None or not plan:
            return
        items = list(plan)
        if any(i.kind == SOURCE for i in items):
            self._install_in_r(items)
            return

        def progress(event: Progress) -> None:  # called in the worker
            self.jobs.call_soon(self.sig_install_progress.emit, event)

        self.jobs.run(lambda: core.install(items, progress), self._on_installed, self._on_install_failed)

    def _install_in_r(self, items: list[PlanItem]) -> None:
        """A plan with source packages: R builds them (resources/R/packages_build.R), so R's own
        install.packages() runs it, typed at the console where the user sees R work. The same
        core service answers R, so R's plan is this one; progress and the end come from R's
        side of the library (``on_r_progress``, ``on_library_changed``)."""
        if self._r_install is not None:
            self.sig_install_failed.emit("Another install is running in R; try again when it has finished.")
            return
        wanted = [i.name for i in items if not i.required_by] or [items[-1].name]
        code = f"install.packages(c({', '.join(r_string(n) for n in wanted)}))"
        self._r_install = {"line": code, "pending": {i.name for i in items}, "done": set(), "sent": False}
        self._session.write_console(code)

    def _on_installed(self, done: list) -> None:
        names = [p.name for p in done]
        self.sig_install_finished.emit(names)
        self._offer_restart(names)
        self.refresh()

    def _on_install_failed(self, exc: Exception) -> None:
        self.sig_install_failed.emit(str(exc))
        self.refresh()

    def remove(self, names: Sequence[str]) -> None:
        core = self._need_core()
        if core is None:
            return
        wanted = list(names)

        def removed(gone: list[str]) -> None:
            self.sig_removed.emit(gone)
            self._offer_restart(gone)
            self.refresh()

        self.jobs.run(lambda: core.remove(wanted), removed,
                      lambda exc: self.sig_problem.emit(f"Could not remove {', '.join(wanted)}: {exc}"))

    def _offer_restart(self, names: Sequence[str]) -> None:
        loaded = [n for n in names if self.model.is_loaded(n)]
        if loaded:
            self.sig_restart_offered.emit(loaded)

    # ------------------------------------------------------------------ what R's own verbs did
    def on_library_changed(self, names: list[str]) -> None:
        """install.packages()/remove.packages() in R changed the library (GUI thread)."""
        job = self._r_install
        if job is not None:
            job["done"].update(names)
            if job["pending"] <= job["done"]:
                self._r_install = None
                self.sig_install_finished.emit(sorted(job["pending"]))
        self.refresh()

    def on_r_progress(self, event: dict) -> None:
        """A step of an install R asked for (``Progress.as_json``), shown like the pane's own."""
        try:
            self.sig_install_progress.emit(Progress(str(event["package"]), str(event["phase"]),
                                                    int(event.get("done") or 0), event.get("total"),
                                                    str(event.get("message") or "")))
        except (KeyError, TypeError, ValueError):
            log.debug("ignoring a malformed progress event %r", event)

    # ------------------------------------------------------------------ sources configuration
    def source_configs(self) -> list[sources_mod.SourceConfig]:
        if self.sources_file is None:
            return []
        return sources_mod.load_config(self.sources_file)

    def set_source_configs(self, configs: list[sources_mod.SourceConfig]) -> None:
        """Save the user's sources in order and use them from now on (the same core service
        the package route uses, so R's install.packages() follows too)."""
        if self.sources_file is None or self.core is None:
            return
        try:
            sources_mod.save_config(self.sources_file, configs)
        except OSError as exc:
            self.sig_problem.emit(f"The package sources could not be saved: {exc}")
            return
        self.core.set_sources(configs)
        self.check_sources(network=True)

    def _need_core(self) -> PackageService | None:
        if self.core is None:
            self.sig_problem.emit("No package manager is configured.")
        return self.core

    def shutdown(self) -> None:
        self.jobs.close()
