"""The Packages pane through the wired window, with the real webR and real CRAN code (Debian
bookworm's pure-R packages packed as webR binaries) served from a repository on 127.0.0.1.

The session is wired as the app wires it: networking, and the persistent library R sees at
R_LIBS_USER with R's package verbs over the package route (app.services.new_packages), so an
install made in the pane loads in R, and one made at the console shows in the pane.
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
from webr_desktop.app.services import new_packages
from webr_desktop.core.history import History
from webr_desktop.core.packages.cache import PackageCache
from webr_desktop.core.packages.library import Library
from webr_desktop.core.packages.service import PackageService
from webr_desktop.core.packages.sources import RepoSource, SourceConfig
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


def _core(root: Path, repo_url: str) -> PackageService:
    cache_root = root / "cache"
    return PackageService(Library(root / "library" / "R-4.6"), [RepoSource(repo_url, cache_root / "indexes")],
                          PackageCache(cache_root))


class Wired(RDriver):
    """A session wired as the app wires it, with its package manager and R's side of it."""

    core: PackageService
    package_session: object
    network: object


def _start_wired(server, runtime_info, repo: RepoServer, root: Path) -> Wired:
    session = new_session(server.url(PAGE_PATH), server.blobs)
    network, _downloads = new_network(session, server)
    network.start()
    core = _core(root, repo.url)
    package_session, _ = new_packages(session, server, runtime_info, service=core)  # before start, as the app
    driver = Wired(session)
    driver.server, driver.core, driver.package_session, driver.network = server, core, package_session, network
    session.start()
    wait_for(session.sig_prompt_shown, 30_000)
    return driver


def _stop_wired(driver: Wired) -> None:
    driver.network.stop()
    driver.session.shutdown()
    driver.session.deleteLater()


@pytest.fixture(scope="module")
def net_driver(qapp, server, runtime_info, repo, tmp_path_factory) -> Iterator[Wired]:
    driver = _start_wired(server, runtime_info, repo, tmp_path_factory.mktemp("wired"))
    yield driver
    _stop_wired(driver)


@pytest.fixture
def ide(net_driver: Wired, repo: RepoServer, qtbot, tmp_path: Path):
    core = net_driver.core
    gone = core.remove([p.name for p in core.installed()])  # each test starts with an empty user library
    if gone:
        net_driver.eval(qtbot, "invisible(NULL)")  # a round trip, then R's view of the library follows
        net_driver.package_session.report_changed(gone)
    window, console = _build_ide(net_driver, qtbot, tmp_path)
    yield window, console, core
    qtbot.waitUntil(lambda: not window.packages_service.jobs.busy, timeout=30_000)
    window.close()


def _build_ide(driver: Wired, qtbot, tmp_path: Path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    project = new_project(driver.session, driver.server)
    project.open_folder(tmp_path)
    window, console = build_window(driver.session, project, settings, History(), RecentFolders(tmp_path / "recent.json"),
                                   packages=driver.core, package_session=driver.package_session,
                                   package_sources=tmp_path / "package_sources.json")
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    window.raise_side_pane("Packages")
    service = window.packages_service
    qtbot.waitUntil(lambda: not service.busy and service.model.rowCount() >= 2, timeout=20_000)
    return window, console


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


def _stdout_since(driver: RDriver, mark: int) -> str:
    return "\n".join(driver.text(mark, "stdout"))


def test_pane_lists_webr_library_without_translations_and_what_r_attached(ide, qtbot) -> None:
    window, _console, _core = ide
    model = window.packages_service.model
    system = _names(model, SYSTEM)
    assert {"base", "stats", "utils", "webr", "tools"} <= set(system)
    assert "translations" not in system
    assert _names(model, USER) == []
    assert _check(model, "stats") == Qt.CheckState.Checked
    assert _check(model, "splines") == Qt.CheckState.Unchecked
    assert model.package(model.find("stats")).title == "The R Stats Package"


def test_install_through_the_dialog_then_r_loads_it(ide, net_driver, qtbot) -> None:
    window, console, core = ide
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
    _shot(dialog, "wired-install-dialog-plan.png")
    with qtbot.waitSignal(service.sig_install_finished, timeout=60_000) as finished:
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert set(finished.args[0]) == set(planned)
    assert all(dialog._bars[n].format() == "installed" for n in planned)
    _shot(dialog, "wired-install-dialog-done.png")
    qtbot.waitUntil(lambda: set(planned) <= set(_names(service.model, USER)), timeout=20_000)
    dialog.close()

    mark = net_driver.mark()
    _submit(net_driver, qtbot, console, 'library(futile.logger); flog.threshold(INFO); cat(flog.info("from the pane"))')
    said = "\n".join(t for _k, t in net_driver.since(mark))
    assert "from the pane" in said and "Error" not in said, said
    qtbot.waitUntil(lambda: _check(service.model, "futile.logger") == Qt.CheckState.Checked, timeout=20_000)
    assert _check(service.model, "lambda.r") == Qt.CheckState.PartiallyChecked  # imported, not attached
    _shot(pane, "wired-pane.png")


def test_console_install_shows_in_the_pane_and_the_checkbox_attaches_and_detaches(ide, net_driver, qtbot) -> None:
    window, console, _core = ide
    service = window.packages_service
    model = service.model
    phases: list[str] = []
    service.sig_install_progress.connect(lambda e: phases.append(f"{e.package}:{e.phase}"))
    _submit(net_driver, qtbot, console, 'install.packages("iterators")', 60_000)
    qtbot.waitUntil(lambda: "iterators" in _names(model, USER), timeout=20_000)  # from the console
    assert "iterators:done" in phases  # R's install reported its progress to the pane
    assert _check(model, "iterators") == Qt.CheckState.Unchecked

    cell = model.find("iterators").siblingAtColumn(model.LOADED)
    model.setData(cell, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    qtbot.waitUntil(lambda: _check(model, "iterators") == Qt.CheckState.Checked, timeout=15_000)
    assert net_driver.eval(qtbot, '"package:iterators" %in% search()') is True
    mark = net_driver.mark()
    _submit(net_driver, qtbot, console, "it <- iter(1:3); nextElem(it) + nextElem(it)")
    assert "[1] 3" in _stdout_since(net_driver, mark)

    cell = model.find("iterators").siblingAtColumn(model.LOADED)
    model.setData(cell, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    qtbot.waitUntil(lambda: _check(model, "iterators") == Qt.CheckState.Unchecked, timeout=15_000)
    assert net_driver.eval(qtbot, '"iterators" %in% loadedNamespaces()') is False

    with qtbot.waitSignal(service.sig_r_said, timeout=15_000) as said:
        model.setData(model.find("base").siblingAtColumn(model.LOADED), Qt.CheckState.Unchecked.value,
                      Qt.ItemDataRole.CheckStateRole)
    assert 'detaching "package:base" is not allowed' in said.args[0]
    assert window.packages.notice.isVisible() and "not allowed" in window.packages.notice.label.text()
    assert _check(model, "base") == Qt.CheckState.Checked


def test_a_missing_package_is_offered_once_in_the_console_and_its_install_shows_in_the_pane(ide, net_driver, qtbot) -> None:
    """R reports library(R6) failing for a package a source has; the offer shows once, above
    the console's input (not again in the pane), and the click's install shows in the pane."""
    window, console, core = ide
    pane, service = window.packages, window.packages_service
    before = tree_hash(core.library.root)
    with qtbot.waitSignal(net_driver.package_session.sig_install_offered, timeout=30_000):
        _submit(net_driver, qtbot, console, "library(R6)")
    qtbot.waitUntil(console.offer_bar.isVisible, timeout=5_000)
    assert console.offer_bar.accept_button.text() == "Install R6"
    assert not pane.notice.isVisible()  # one offer, not two
    assert tree_hash(core.library.root) == before  # nothing installs without the click
    console.offer_bar.accept_button.click()
    qtbot.waitUntil(lambda: "R6" in _names(service.model, USER), timeout=60_000)
    qtbot.waitUntil(lambda: net_driver.session.state is SessionState.IDLE, timeout=60_000)
    mark = net_driver.mark()
    _submit(net_driver, qtbot, console, 'library(R6); Counter <- R6Class("C", public = list(n = 1)); Counter$new()$n')
    assert "[1] 1" in _stdout_since(net_driver, mark)


def test_without_r_side_the_pane_offers_a_missing_package_and_installs_on_one_click(net_driver, repo, qtbot,
                                                                                    tmp_path: Path) -> None:
    """A window with no package side in R (package_session None): the pane reads R's error
    and offers the package itself; the click installs it on the host."""
    core = _core(tmp_path, repo.url)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window, console = build_window(net_driver.session, new_project(net_driver.session, net_driver.server), settings,
                                   History(), RecentFolders(tmp_path / "recent.json"), packages=core)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    window.raise_side_pane("Packages")
    pane, service = window.packages, window.packages_service
    before = tree_hash(core.library.root)
    with qtbot.waitSignal(service.sig_missing_package, timeout=30_000):
        _submit(net_driver, qtbot, console, "library(futile.options)")
    assert pane.notice.isVisible() and pane.notice.button.text() == "Install futile.options"
    assert "1.0.1" in pane.notice.label.text()
    assert tree_hash(core.library.root) == before  # nothing installs without the click
    _shot(pane, "wired-pane-missing-offer.png")
    with qtbot.waitSignal(service.sig_install_finished, timeout=60_000):
        qtbot.mouseClick(pane.notice.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "futile.options" in _names(service.model, USER), timeout=20_000)
    qtbot.waitUntil(lambda: not service.jobs.busy, timeout=30_000)
    window.close()


def test_removing_a_loaded_package_asks_removes_and_offers_restart(ide, net_driver, qtbot, monkeypatch) -> None:
    window, console, core = ide
    pane, service = window.packages, window.packages_service
    _submit(net_driver, qtbot, console, 'install.packages("R6"); library(R6)', 60_000)
    qtbot.waitUntil(lambda: _check(service.model, "R6") == Qt.CheckState.Checked, timeout=20_000)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes)
    selection = pane.tree.selectionModel()
    selection.select(pane.proxy.mapFromSource(service.model.find("R6")),
                     selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
    with qtbot.waitSignal(service.sig_restart_offered, timeout=20_000) as offered:
        pane.remove_action.trigger()
    assert "R has R6 loaded" in asked[0] and offered.args == [["R6"]]
    assert pane.notice.button.text() == "Restart R"
    qtbot.waitUntil(lambda: "R6" not in _names(service.model, USER), timeout=20_000)
    assert not (core.library.root / "R6").exists()
    qtbot.waitUntil(lambda: net_driver.eval(qtbot, '"R6" %in% rownames(installed.packages())') is False,
                    timeout=20_000)


def test_a_folder_added_in_repositories_is_searched_and_installs(ide, qtbot, tmp_path: Path, repo) -> None:
    from tests.fixtures.packages import Pkg, build
    from webr_desktop.app.panes.packages import open_repositories_dialog

    window, _console, core = ide
    service = window.packages_service
    folder = tmp_path / "usb"
    build(Pkg("classroom", "0.3", title="Exercises for the Class"), folder)  # a flat folder of archives
    dialog = open_repositories_dialog(window, service)
    dialog.add_folder(str(folder))
    try:
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
    finally:
        core.set_sources([SourceConfig("repo", repo.url)])


def test_source_packages_from_the_dialog_are_built_by_r_and_load(ide, net_driver, repo, qtbot, tmp_path: Path) -> None:
    """Pure-R source packages (srca → srcb (>= 1.1) → srcc) planned in the dialog are built
    inside webR by R's install.packages(), typed at the console, and load afterwards. (Not
    fixtures.packages.chain(): R refuses one-letter package names when it builds them.)"""
    from tests.fixtures.packages import Pkg, make_repo

    chain = [Pkg("srca", "1.0", imports="srcb (>= 1.1)", built=None), Pkg("srcb", "1.1", depends="srcc", built=None),
             Pkg("srcc", "0.5", built=None)]

    window, console, core = ide
    service = window.packages_service
    with RepoServer(make_repo(tmp_path / "src-repo", chain)) as src:
        core.set_sources([SourceConfig("repo", repo.url), SourceConfig("repo", src.url)])
        try:
            dialog = InstallDialog_open(window, service)
            qtbot.keyClicks(dialog.search_edit, "srca")
            qtbot.waitUntil(lambda: dialog.select("srca"), timeout=20_000)
            qtbot.waitUntil(lambda: dialog.install_button.isEnabled(), timeout=20_000)
            planned = [dialog.plan_tree.topLevelItem(i).text(0) for i in range(dialog.plan_tree.topLevelItemCount())]
            assert planned == ["srcc", "srcb", "srca"]
            assert dialog.plan_tree.topLevelItem(0).text(1) == "0.5 (source)"
            mark = net_driver.mark()
            finished: list = []
            service.sig_install_finished.connect(finished.append)
            failed: list = []
            service.sig_install_failed.connect(failed.append)
            qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: bool(finished or failed), timeout=120_000)
            said = "\n".join(t for _k, t in net_driver.events[mark:])
            assert not failed, f"{failed}\n{said}"
            assert sorted(finished[0]) == ["srca", "srcb", "srcc"]
            assert 'install.packages(c("srca"))' in [t for k, t in net_driver.events[mark:] if k == "input"][0]
            qtbot.waitUntil(lambda: net_driver.session.state is SessionState.IDLE, timeout=60_000)
            assert all(dialog._bars[n].format() == "installed" for n in planned)
            qtbot.waitUntil(lambda: {"srca", "srcb", "srcc"} <= set(_names(service.model, USER)), timeout=20_000)
            _shot(dialog, "wired-install-dialog-source-done.png")
            dialog.close()
            mark = net_driver.mark()
            _submit(net_driver, qtbot, console, "library(srca); srca_hello()")
            assert '[1] "hello from srca 1.0"' in _stdout_since(net_driver, mark)
        finally:
            core.set_sources([SourceConfig("repo", repo.url)])


def InstallDialog_open(window, service):  # noqa: N802 - reads as what it does
    from webr_desktop.app.panes.packages import open_install_dialog

    return open_install_dialog(window, service)


def test_install_from_file_takes_a_binary_and_a_source_archive(ide, net_driver, qtbot, tmp_path: Path,
                                                               monkeypatch) -> None:
    """Install from File…: a webR binary .tgz (Debian's R6, installed on the host) and a pure-R
    source .tar.gz (built by R); both load in R afterwards."""
    from PySide6.QtWidgets import QFileDialog

    from tests.fixtures.packages import Pkg, build

    window, console, core = ide
    pane, service = window.packages, window.packages_service
    r6 = next(c for c in core.candidates("R6"))
    binary = tmp_path / "files" / "R6_2.5.1.tgz"
    binary.parent.mkdir()
    binary.write_bytes(_download(r6.location))
    source = build(Pkg("fromfile", "0.2", built=None), tmp_path / "files")
    for archive, name, check in ((binary, "R6", 'exists("R6Class")'), (source, "fromfile", "fromfile_hello()")):
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, path=archive: (str(path), ""))
        pane.install_file_action.trigger()
        dialog = window.install_dialog
        assert dialog.windowTitle() == "Install from File"
        qtbot.waitUntil(dialog.install_button.isEnabled, timeout=30_000)
        assert dialog.plan_tree.topLevelItem(0).text(0) == name
        assert dialog.plan_tree.topLevelItem(0).text(2) == str(archive)
        with qtbot.waitSignal(service.sig_install_finished, timeout=120_000):
            qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: name in _names(service.model, USER), timeout=20_000)
        qtbot.waitUntil(lambda: net_driver.session.state is SessionState.IDLE, timeout=60_000)
        dialog.close()
        mark = net_driver.mark()
        _submit(net_driver, qtbot, console, f"library({name}); {check}")
        out = _stdout_since(net_driver, mark)
        assert "TRUE" in out or "hello from fromfile 0.2" in out, out


def _download(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_update_lists_installed_against_available_and_updates(ide, repo, qtbot, tmp_path: Path) -> None:
    from tests.fixtures.packages import Pkg, make_repo

    window, _console, core = ide
    pane, service = window.packages, window.packages_service
    with RepoServer(make_repo(tmp_path / "old", [Pkg("upd", "1.0")])) as old, \
            RepoServer(make_repo(tmp_path / "new", [Pkg("upd", "2.0")])) as new:
        core.set_sources([SourceConfig("repo", old.url)])
        try:
            service.install(core.plan(["upd"]))
            qtbot.waitUntil(lambda: "upd" in _names(service.model, USER), timeout=30_000)
            core.set_sources([SourceConfig("repo", new.url), SourceConfig("repo", repo.url)])
            pane.update_action.trigger()
            dialog = window.update_dialog
            qtbot.waitUntil(dialog.update_button.isEnabled, timeout=30_000)
            row = dialog.table.topLevelItem(0)
            assert [row.text(i) for i in range(4)] == ["upd", "1.0", "2.0", new.url]
            _shot(dialog, "wired-update-dialog.png")
            qtbot.mouseClick(dialog.update_button, Qt.MouseButton.LeftButton)
            install = window.install_dialog
            assert install.windowTitle() == "Update Packages"
            qtbot.waitUntil(install.install_button.isEnabled, timeout=30_000)
            with qtbot.waitSignal(service.sig_install_finished, timeout=60_000):
                qtbot.mouseClick(install.install_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: service.model.package(service.model.find("upd")).version == "2.0", timeout=20_000)
            install.close()
        finally:
            core.set_sources([SourceConfig("repo", repo.url)])


def test_an_unreachable_repository_is_named_and_its_saved_index_still_serves(net_driver, qtbot, tmp_path: Path) -> None:
    root = debian_repo(tmp_path / "repo2")
    with RepoServer(root) as repo2:
        core = _core(tmp_path, repo2.url)
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


def test_updating_a_package_r_has_loaded_offers_restart_and_the_click_restarts(qapp, server, runtime_info, repo, qtbot,
                                                                             tmp_path: Path) -> None:
    # A session of its own: it restarts, and other tests' windows listen to the shared one.
    # Last in the module: its package route replaces the shared session's on the server.
    driver = _start_wired(server, runtime_info, repo, tmp_path / "own")
    try:
        window, console = _build_ide(driver, qtbot, tmp_path)
        pane, service = window.packages, window.packages_service
        _submit(driver, qtbot, console, 'install.packages("iterators"); library(iterators)', 60_000)
        qtbot.waitUntil(lambda: service.model.is_attached("iterators"), timeout=30_000)
        with qtbot.waitSignal(service.sig_restart_offered, timeout=60_000) as offered:
            service.install(driver.core.plan(["iterators"]))  # the same version again: still a change under R
        assert offered.args == [["iterators"]]
        assert pane.notice.isVisible() and pane.notice.button.text() == "Restart R"
        _shot(pane, "wired-pane-restart-offer.png")
        with qtbot.waitSignal(driver.session.sig_started, timeout=30_000):
            qtbot.mouseClick(pane.notice.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: driver.session.state is SessionState.IDLE, timeout=30_000)
        qtbot.waitUntil(lambda: not service.model.is_loaded("iterators") and not service.busy, timeout=30_000)
        assert "iterators" in _names(service.model, USER)  # the library survives Restart R
        mark = driver.mark()
        _submit(driver, qtbot, console, "library(iterators); nextElem(iter(7:9))")
        assert "[1] 7" in _stdout_since(driver, mark)
        qtbot.waitUntil(lambda: not service.jobs.busy, timeout=30_000)
        window.close()
    finally:
        _stop_wired(driver)
