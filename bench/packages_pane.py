"""Packages pane benchmark (the app as run_gui builds it); prints one JSON object.

pane_refresh_ms    = median time of one pane refresh: R's .wd.pkg_state() (installed.packages
                     over webR's library, loaded and attached namespaces) plus the host library
                     listing in a worker, until the model shows both (empty user library;
                     pane_refresh_4_user_packages_ms: after the install below).
dialog_search_ms   = median time from a query typed in the Install dialog (debounce excluded)
                     to its results listed, over an index of 20,000 packages (webR's size).
pane_install_ms    = plan + install of Debian's futile.logger and its 3 dependencies through the
                     pane's service from a loopback repository, cold cache.
gui_max_gap_*_ms   = the longest the GUI thread went without running a 5 ms timer during the
                     searches / the install (the work runs in worker threads).

Usage: .venv/bin/python bench/packages_pane.py [--runs N] [--load N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_load_argument, cpu_load, emit_json, init_qt, median, private_env, rnd, wait_until  # noqa: E402

QUERIES = ["pk", "pkg1", "data", "spatial text", "pkg19999", "fast models"]


class GapMeter:
    """Longest interval between ticks of a 5 ms timer on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.max_gap = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(interval=5)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.max_gap = max(self.max_gap, (now - self._last) * 1000)
        self._last = now

    def reset(self) -> None:
        self._last = time.perf_counter()
        self.max_gap = 0.0


def _one_refresh(service) -> float:  # noqa: ANN001 - PackagesService
    """One pane refresh, request to model updated, in ms."""
    done: list[float] = []

    def on_refreshed() -> None:
        done.append(time.perf_counter())

    service.sig_refreshed.connect(on_refreshed)
    start = time.perf_counter()
    service.refresh()
    wait_until(lambda: bool(done), 30, "a pane refresh")
    service.sig_refreshed.disconnect(on_refreshed)
    return (done[0] - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    add_load_argument(parser)
    args = parser.parse_args()
    home = private_env()
    from packages import synthetic_repo  # bench/packages.py (bench/ is on sys.path)
    from tests.fixtures.packages import RepoServer, debian_repo
    from webr_desktop.core import paths

    app = init_qt()
    result: dict = {"benchmark": "packages_pane", "load": args.load, "runs": args.runs}
    with cpu_load(args.load), RepoServer(synthetic_repo(home / "synthetic")) as big, \
            RepoServer(debian_repo(home / "debian")) as deb:
        paths.package_sources_file().parent.mkdir(parents=True, exist_ok=True)
        paths.package_sources_file().write_text(json.dumps({"sources": [
            {"kind": "repo", "location": deb.url, "enabled": True},
            {"kind": "repo", "location": big.url, "enabled": True}]}))
        try:
            from _common import build_app, wait_first_prompt

            parts = build_app()
            wait_first_prompt(parts)
            service = parts.window.packages_service
            gaps = GapMeter()

            def measure_refresh() -> list[float]:
                return [_one_refresh(service) for _ in range(args.runs)]

            refresh = measure_refresh()

            from webr_desktop.app.panes.packages import open_install_dialog

            dialog = open_install_dialog(parts.window, service)
            wait_until(lambda: dialog.results_model.rowCount() > 0, 60, "the first listing")
            gaps.reset()
            search = []
            for query in QUERIES * max(1, args.runs // len(QUERIES) + 1):
                shown: list[float] = []

                def on_found(q: str, _found: object, query=query, shown=shown) -> None:
                    if q == query:  # connected after the dialog's slot: the list is filled
                        shown.append(time.perf_counter())

                dialog.search_edit.blockSignals(True)  # no debounced second search
                dialog.search_edit.setText(query)
                dialog.search_edit.blockSignals(False)
                service.sig_search_finished.connect(on_found)
                start = time.perf_counter()
                service.search(query)
                wait_until(lambda: bool(shown), 30, "a search")
                search.append((shown[0] - start) * 1000)
                service.sig_search_finished.disconnect(on_found)
            dialog.close()
            search_gap = gaps.max_gap
            gaps.reset()

            finished: list[list[str]] = []
            service.sig_install_finished.connect(finished.append)
            plan_ready: list = []
            service.sig_plan_ready.connect(lambda _rid, plan: plan_ready.append(plan))
            start = time.perf_counter()
            service.plan(["futile.logger"])
            wait_until(lambda: bool(plan_ready), 60, "the plan")
            service.install(plan_ready[0])
            wait_until(lambda: bool(finished), 120, "the install")
            install_ms = (time.perf_counter() - start) * 1000
            wait_until(lambda: not service.busy, 30, "the refresh after the install")
            refresh_full = measure_refresh()
            result.update(
                pane_refresh_ms=rnd(median(refresh)),
                pane_refresh_4_user_packages_ms=rnd(median(refresh_full)),
                dialog_search_ms=rnd(median(search)),
                dialog_search_max_ms=rnd(max(search)),
                pane_install_ms=rnd(install_ms),
                installed=sorted(finished[0]),
                gui_max_gap_search_ms=rnd(search_gap),
                gui_max_gap_install_ms=rnd(gaps.max_gap),
                index_entries=20_000 + 8,
            )
            parts.close()
        except Exception as exc:  # noqa: BLE001 - the JSON says what failed
            traceback.print_exc()
            result["error"] = str(exc)
    emit_json(result)
    del app
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
