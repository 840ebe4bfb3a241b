"""The Packages pane through the wired window, with the real webR and real CRAN code (Debian
bookworm's pure-R packages packed as webR binaries) served from a repository on 127.0.0.1.

The session has networking as the app wires it, so ``webr::install()`` at the console fetches
through the app like any user's. Installs made through the pane go to a persistent library
under the test's own folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.fixtures.packages import RepoServer, debian_repo, tree_hash
from tests.webengine.driver import RDriver, wait_for
from webr_desktop.app import PAGE_PATH, build_window, new_network, new_project, new_session
from webr_desktop.core.history import History
from webr_desktop.core.packages.cache import PackageCache
from webr_desktop.core.packages.library import Library
from webr_desktop.core.packages.service import PackageService
from webr_desktop.core.packages.sources import RepoSource
from webr_desktop.core.recent_folders import RecentFolders
from webr_desktop.models.packages import SYSTEM, USER
from webr_desktop.runtime.session import SessionState

pytestmark = pytest.mark.webengine
SHOTS = Path("/tmp/pkg-pane")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Iterator[RepoServer]:
    root = debian_repo(tmp_path_factory.mktemp("repo"))
    with RepoServer(root) as server:
        yield server


@pytest.fixture(scope="module")
def net_driver(qapp, server) -> Iterator[RDriver]:
    """A session with the app's networking (download routing for webr::install)."""
    session = new_session(server.url(PAGE_PATH), server.blobs)
    network, _downloads = new_network(session, server)
    network.start()
    driver = RDriver(session)
    driver.server = server
    session.start()
    wait_for(session.sig_prompt_shown, 30_000)
    yield driver
    network.stop()
    session.shutdown()
    session.deleteLater()


@pytest.fixture
def ide(net_driver: RDriver, repo: RepoServer, qtbot, tmp_path: Path):
    window, console, core = _build_ide(net_driver, repo, qtbot, tmp_path)
    yield window, console, core
    qtbot.waitUntil(lambda: not window.packages_service.jobs.busy, timeout=30_000)
    window.close()


def _build_ide(net_driver: RDriver, repo: RepoServer, qtbot, tmp_path: Path):
    cache_root = tmp_path / "cache"
    core = PackageService(Library(tmp_path / "library" / "R-4.6"), [RepoSource(repo.url, cache_root / "indexes")],
                          PackageCache(cache_root))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    project = new_project(net_driver.session, net_driver.server)
    project.open_folder(tmp_path)
    window, console = build_window(net_driver.session, project, settings, History(),
                                   RecentFolders(tmp_path / "recent.json"), packages=core)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    window.raise_side_pane("Packages")
    service = window.packages_service
    qtbot.waitUntil(lambda: not service.busy and service.model.rowCount() >= 2, timeout=20_000)
    return window, console, core


def _submit(driver: RDriver, qtbot, console, code: str, timeout: int = 30_000) -> None:
    prompts = driver.prompts
    console.submit(code)
    qtbot.waitUntil(lambda: driver.prompts > prompts and driver.session.state is SessionState.IDLE, timeout=timeout)


def _names(model, kind: str) -> list[str]:
    for g, group in enumerate(model.groups()):
        if group.kind == kind:
            parent = model.index(g, 0)
            return [model.index(r, model.NAME, parent).data() for r in range(model.rowCount(parent))]
    return []


def _check(model, name: str):
    return model.find(name).siblingAtColumn(model.LOADED).data(Qt.ItemDataRole.CheckStateRole)


def _shot(widget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()
    widget.grab().save(str(SHOTS / name))


def test_pane_lists_webr_library_without_translations_and_what_r_attached(ide, qtbot) -> None:
    window, _console, _core = ide
    model = window.packages_service.model
    system = _names(model, SYSTEM)
    assert {"base", "stats", "utils", "webr", "tools"} <= set(system)
    assert "translations" not in system
    assert _check(model, "stats") == Qt.CheckState.Checked
    assert _check(model, "splines") == Qt.CheckState.Unchecked
    assert model.package(model.find("stats")).title == "The R Stats Package"


def test_install_through_the_dialog_shows_the_plan_and_lands_in_the_user_library(ide, qtbot) -> None:
    window, _console, core = ide
    pane, service = window.packages, window.packages_service
    pane.install_action.trigger()
    dialog = window.install_dialog
    qtbot.keyClicks(dialog.search_edit, "logg")
    qtbot.waitUntil(lambda: dialog.results_model.rowCount() == 1, timeout=20_000)
    assert dialog.select("futile.logger")
    qtbot.waitUntil(lambda: dialog.install_button.isEnabled(), timeout=20_000)
    planned = [dialog.plan_tree.topLevelItem(i).text(0) for i in range(dialog.plan_tree.topLevelItemCount())]
    assert planned[-1] == "futile.logger" and set(planned) == {"futile.logger", "lambda.r", "futile.options", "formatR"}
    assert all(dialog.plan_tree.topLevelItem(i).text(3).endswith("KB") for i in range(len(planned)))
    assert not (core.library.root / "futile.logger").exists()  # nothing before Install
    assert not core.cache.root.joinpath("archives").exists() or not any(core.cache.root.rglob("*.tgz"))
    _shot(dialog, "wired-install-dialog-plan.png")
    with qtbot.waitSignal(service.sig_install_finished, timeout=60_000) as finished:
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert set(finished.args[0]) == set(planned)
    assert all(dialog._bars[n].format() == "installed" for n in planned)
    _shot(dialog, "wired-install-dialog-done.png")
    qtbot.waitUntil(lambda: set(planned) <= set(_names(service.model, USER)), timeout=20_000)
    assert (core.library.root / "futile.logger" / "DESCRIPTION").is_file()
    dialog.close()
    _shot(pane, "wired-pane.png")


def test_console_install_refreshes_and_checkbox_attaches_and_detaches(ide, net_driver, repo, qtbot) -> None:
    window, console, _core = ide
    service = window.packages_service
    model = service.model
    assert "iterators" not in _names(model, SYSTEM)
    with qtbot.waitSignal(service.sig_refreshed, timeout=60_000):
        _submit(net_driver, qtbot, console, f'webr::install("iterators", repos = "{repo.url}", mount = FALSE)', 60_000)
    assert "iterators" in _names(model, SYSTEM)  # webR's in-memory library, from the console
    assert _check(model, "iterators") == Qt.CheckState.Unchecked

    cell = model.find("iterators").siblingAtColumn(model.LOADED)
    model.setData(cell, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    qtbot.waitUntil(lambda: _check(model, "iterators") == Qt.CheckState.Checked, timeout=15_000)
    assert net_driver.eval(qtbot, '"package:iterators" %in% search()') is True
    _submit(net_driver, qtbot, console, "it <- iter(1:3); nextElem(it) + nextElem(it)")
    assert "[1] 3" in [t for k, t in net_driver.events[-6:] if k == "stdout"]

    model.setData(cell, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    qtbot.waitUntil(lambda: _check(model, "iterators") == Qt.CheckState.Unchecked, timeout=15_000)
    assert net_driver.eval(qtbot, '"iterators" %in% loadedNamespaces()') is False

    with qtbot.waitSignal(service.sig_r_said, timeout=15_000) as said:
        model.setData(model.find("base").siblingAtColumn(model.LOADED), Qt.CheckState.Unchecked.value,
                      Qt.ItemDataRole.CheckStateRole)
    assert 'detaching "package:base" is not allowed' in said.args[0]
    assert window.packages.notice.isVisible() and "not allowed" in window.packages.notice.label.text()
    assert _check(model, "base") == Qt.CheckState.Checked


def test_missing_package_is_offered_and_installs_on_one_click(ide, net_driver, qtbot) -> None:
    window, console, core = ide
    pane, service = window.packages, window.packages_service
    before = tree_hash(core.library.root)
    with qtbot.waitSignal(service.sig_missing_package, timeout=30_000):
        _submit(net_driver, qtbot, console, "library(R6)")
    assert "there is no package called" in "\n".join(t for k, t in net_driver.events[-8:] if k == "stderr")
    assert pane.notice.isVisible() and pane.notice.button.text() == "Install R6"
    assert tree_hash(core.library.root) == before  # nothing installs without the click
    _shot(pane, "wired-pane-missing-offer.png")
    with qtbot.waitSignal(service.sig_install_finished, timeout=60_000):
        qtbot.mouseClick(pane.notice.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "R6" in _names(service.model, USER), timeout=20_000)


def test_remove_asks_then_removes_from_the_user_library(ide, qtbot, monkeypatch) -> None:
    window, _console, core = ide
    pane, service = window.packages, window.packages_service
    service.install(core.plan(["R6"]))
    qtbot.waitUntil(lambda: "R6" in _names(service.model, USER), timeout=30_000)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    selection = pane.tree.selectionModel()
    selection.select(pane.proxy.mapFromSource(service.model.find("R6")),
                     selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
    with qtbot.waitSignal(service.sig_removed, timeout=20_000) as removed:
        pane.remove_action.trigger()
    assert removed.args == [["R6"]]
    qtbot.waitUntil(lambda: "R6" not in _names(service.model, USER), timeout=20_000)
    assert not (core.library.root / "R6").exists()


def test_an_unreachable_repository_is_named_and_its_saved_index_still_serves(net_driver, qtbot, tmp_path: Path) -> None:
    root = debian_repo(tmp_path / "repo2")
    with RepoServer(root) as repo2:
        cache_root = tmp_path / "cache"
        core = PackageService(Library(tmp_path / "lib"), [RepoSource(repo2.url, cache_root / "indexes")],
                              PackageCache(cache_root))
        core.refresh()  # the index is saved while the repository is up
        url = repo2.url
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    project = new_project(net_driver.session, net_driver.server)
    window, _console = build_window(net_driver.session, project, settings, History(),
                                    RecentFolders(tmp_path / "recent.json"), packages=core)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    window.raise_side_pane("Packages")
    pane, service = window.packages, window.packages_service
    pane.refresh_action.trigger()
    qtbot.waitUntil(lambda: pane.status_label.isVisible(), timeout=30_000)
    assert f"{url}: offline, using the index saved" in pane.status_label.text()
    with qtbot.waitSignal(service.sig_search_finished, timeout=30_000) as found:
        service.search("R6")
    assert [c.name for c in found.args[1]][:1] == ["R6"]  # the stale index still answers
    _shot(pane, "wired-pane-offline.png")
    qtbot.waitUntil(lambda: not service.jobs.busy, timeout=30_000)
    window.close()


def test_updating_a_package_r_has_loaded_offers_restart_and_the_click_restarts(qapp, server, repo, qtbot,
                                                                             tmp_path: Path) -> None:
    # A session of its own: it restarts, and other tests' windows listen to the shared one.
    session = new_session(server.url(PAGE_PATH), server.blobs)
    network, _downloads = new_network(session, server)
    network.start()
    driver = RDriver(session)
    driver.server = server
    session.start()
    qtbot.waitUntil(lambda: session.state is SessionState.IDLE, timeout=30_000)
    try:
        window, console, core = _build_ide(driver, repo, qtbot, tmp_path)
        pane, service = window.packages, window.packages_service
        _submit(driver, qtbot, console, f'webr::install("iterators", repos = "{repo.url}", mount = FALSE)', 60_000)
        _submit(driver, qtbot, console, "library(iterators)")
        qtbot.waitUntil(lambda: service.model.is_attached("iterators"), timeout=30_000)
        with qtbot.waitSignal(service.sig_restart_offered, timeout=60_000) as offered:
            service.install(core.plan(["iterators"]))
        assert offered.args == [["iterators"]]
        assert pane.notice.isVisible() and pane.notice.button.text() == "Restart R"
        _shot(pane, "wired-pane-restart-offer.png")
        with qtbot.waitSignal(session.sig_started, timeout=30_000):
            qtbot.mouseClick(pane.notice.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: session.state is SessionState.IDLE, timeout=30_000)
        qtbot.waitUntil(lambda: not service.model.is_loaded("iterators") and not service.busy, timeout=30_000)
        qtbot.waitUntil(lambda: not service.jobs.busy, timeout=30_000)
        window.close()
    finally:
        network.stop()
        session.shutdown()
        session.deleteLater()


def test_an_install_r_asks_the_package_route_for_shows_in_the_pane(net_driver, repo, qtbot, tmp_path: Path) -> None:
    """The route answers R's install.packages() in the server's thread; the pane hears of it
    through PackageEvents (progress in its status line, then the refreshed list)."""
    import json
    import threading

    from webr_desktop.core.package_events import PackageEvents
    from webr_desktop.server.packages import PackagesRoute

    cache_root = tmp_path / "cache"
    core = PackageService(Library(tmp_path / "library" / "R-4.6"), [RepoSource(repo.url, cache_root / "indexes")],
                          PackageCache(cache_root))
    events = PackageEvents()
    route = PackagesRoute(core, progress=events.progress, changed=events.changed)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window, _console = build_window(net_driver.session, new_project(net_driver.session, net_driver.server), settings,
                                    History(), RecentFolders(tmp_path / "recent.json"), packages=core,
                                    package_events=events)
    qtbot.addWidget(window)
    service = window.packages_service
    seen: list[str] = []
    service.sig_install_progress.connect(lambda e: seen.append(f"{e.package}:{e.phase}"))
    replies: list[bytes] = []
    worker = threading.Thread(target=lambda: replies.append(route.handle(
        json.dumps({"op": "install", "pkgs": ["foreach"]}).encode(), {})[2]))
    with qtbot.waitSignal(service.sig_refreshed, timeout=60_000):
        worker.start()
        qtbot.waitUntil(lambda: bool(replies), timeout=60_000)
    worker.join()
    assert "installed" in json.loads(replies[0])
    qtbot.waitUntil(lambda: {"foreach", "iterators", "codetools"} <= set(_names(service.model, USER)), timeout=20_000)
    assert "foreach:download" in seen and "foreach:done" in seen
    window.close()
    assert not events._progress and not events._changed  # the closed window stopped listening


def test_a_folder_added_in_repositories_is_searched_and_installs(ide, qtbot, tmp_path: Path) -> None:
    from tests.fixtures.packages import Pkg, build
    from webr_desktop.app.panes.packages import open_repositories_dialog

    window, _console, core = ide
    service = window.packages_service
    service.sources_file = tmp_path / "package_sources.json"
    folder = tmp_path / "usb"
    build(Pkg("classroom", "0.3", title="Exercises for the Class"), folder)  # a flat folder of archives
    dialog = open_repositories_dialog(window, service)
    dialog.add_folder(str(folder))
    with qtbot.waitSignal(service.sig_sources_checked, timeout=30_000) as checked:
        dialog.accept()
    assert str(folder) in [s.source for s in checked.args[0]]
    assert str(folder) in service.sources_file.read_text()
    with qtbot.waitSignal(service.sig_search_finished, timeout=30_000) as found:
        service.search("exercises class")
    assert [c.name for c in found.args[1]] == ["classroom"]
    with qtbot.waitSignal(service.sig_install_finished, timeout=30_000):
        service.install(core.plan(["classroom"]))
    qtbot.waitUntil(lambda: "classroom" in _names(service.model, USER), timeout=20_000)
    row = service.model.package(service.model.find("classroom"))
    assert row.short_source == "usb" and row.source == str(folder)
