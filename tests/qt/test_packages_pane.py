"""The Packages pane, its model and its dialogs, with a fake service that has the real signals.

The real service (R, host installs) is tested through the wired window in
tests/webengine/test_packages_pane.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.qt.contract import assert_same_signals
from webr_desktop.core.packages.model import BINARY, Candidate, IndexStatus
from webr_desktop.core.packages.resolver import PlanItem
from webr_desktop.core.packages.service import Progress
from webr_desktop.core.packages.sources import SourceConfig
from webr_desktop.models.packages import (
    SYSTEM,
    USER,
    LibraryGroup,
    PackageRow,
    PackagesModel,
    build_groups,
    parse_state,
)
from webr_desktop.models.packages_service import PackagesService, describe_sources
from webr_desktop.ui.packages.install_dialog import InstallDialog
from webr_desktop.ui.packages.packages_pane import PackagesPane
from webr_desktop.ui.packages.repositories_dialog import RepositoriesDialog
from webr_desktop.ui.packages.update_dialog import UpdateDialog

SHOTS = Path("/tmp/pkg-pane")


class FakeService(QObject):
    """Stands in for PackagesService in widget tests: records calls, same signals."""

    sig_refreshed = Signal()
    sig_problem = Signal(str)
    sig_r_said = Signal(str)
    sig_sources_checked = Signal(object, str)
    sig_search_finished = Signal(str, object)
    sig_plan_ready = Signal(int, object)
    sig_plan_failed = Signal(int, str)
    sig_install_progress = Signal(object)
    sig_install_finished = Signal(list)
    sig_install_failed = Signal(str)
    sig_updates_found = Signal(object)
    sig_removed = Signal(list)
    sig_restart_offered = Signal(list)
    sig_missing_package = Signal(str, object)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []
        self._next = 0

    def search(self, query: str) -> None:
        self.calls.append(("search", query))

    def plan(self, names: list[str]) -> int:
        self._next += 1
        self.calls.append(("plan", list(names)))
        return self._next

    def plan_file(self, path: str) -> int:
        self._next += 1
        self.calls.append(("plan_file", path))
        return self._next

    def install(self, plan: list) -> None:
        self.calls.append(("install", [i.name for i in plan]))

    def check_updates(self) -> None:
        self.calls.append(("check_updates",))


def test_fake_service_has_the_real_signals() -> None:
    assert_same_signals(FakeService, PackagesService)


def _candidate(name: str, version: str = "1.0", size: int | None = 12_345, title: str = "") -> Candidate:
    return Candidate(name, version, "http://127.0.0.1:9/repo", BINARY, f"http://127.0.0.1:9/{name}.tgz",
                     {"Title": title or f"The {name} package"}, size=size)


def _groups() -> list[LibraryGroup]:
    user = [PackageRow("R6", "2.5.1", "Encapsulated Classes with Reference Semantics", "http://127.0.0.1:9", "/lib"),
            PackageRow("iterators", "1.0.14", "Provides Iterator Construct", "http://127.0.0.1:9", "/lib")]
    system = [PackageRow(n, "4.6.0", f"The R {n} Package", "webR", "/usr/lib/R/library")
              for n in ("base", "stats", "utils", "tools", "translations")]
    return [LibraryGroup(USER, "/lib", user), LibraryGroup(SYSTEM, "/usr/lib/R/library", system)]


@pytest.fixture
def model(qapp) -> PackagesModel:
    m = PackagesModel()
    m.set_groups(_groups())
    m.set_loaded(["base", "stats", "utils", "tools", "R6"], ["base", "stats", "utils"])
    return m


def test_model_passes_qt_model_tester(qtmodeltester, model: PackagesModel) -> None:
    qtmodeltester.check(model)
    model.set_groups([])
    qtmodeltester.check(model)


def test_model_groups_sorts_hides_translations_and_shows_loaded_state(model: PackagesModel) -> None:
    assert model.rowCount() == 2
    user, system = model.index(0, 0), model.index(1, 0)
    assert user.data() == "User library (2)" and system.data() == "System library (webR) (4)"
    assert [model.index(r, model.NAME, user).data() for r in range(2)] == ["iterators", "R6"]
    assert "translations" not in [model.index(r, model.NAME, system).data() for r in range(4)]
    check = lambda name: model.find(name).siblingAtColumn(model.LOADED).data(Qt.ItemDataRole.CheckStateRole)  # noqa: E731
    assert check("stats") == Qt.CheckState.Checked
    assert check("R6") == Qt.CheckState.PartiallyChecked  # loaded, not attached
    assert check("iterators") == Qt.CheckState.Unchecked
    assert model.find("R6").data(model.REMOVABLE_ROLE) is True
    assert model.find("stats").data(model.REMOVABLE_ROLE) is False


def test_ticking_the_checkbox_asks_r_and_leaves_the_mark_to_r(qtbot, model: PackagesModel) -> None:
    cell = model.find("iterators").siblingAtColumn(model.LOADED)
    with qtbot.waitSignal(model.sig_attach_requested) as blocker:
        assert model.setData(cell, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert blocker.args == ["iterators", True]
    assert cell.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked  # until R answers
    with qtbot.waitSignal(model.dataChanged):
        model.set_loaded(["iterators"], ["iterators"])
    assert cell.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    with qtbot.waitSignal(model.sig_attach_requested) as blocker:
        model.setData(model.find("stats").siblingAtColumn(model.LOADED), Qt.CheckState.Unchecked.value,
                      Qt.ItemDataRole.CheckStateRole)
    assert blocker.args == ["stats", False]


def test_r_state_parses_and_the_user_library_is_not_listed_twice() -> None:
    state = parse_state({
        "lib": ["/usr/lib/R/library", "/usr/lib/R/library", "/home/web_user/R/lib", "/tmp/extra"],
        "name": ["base", "translations", "R6", "foo"], "version": ["4.6.0", "4.6.0", "2.5.1", "0.1"],
        "title": ["The R Base Package", None, "R6 title", "Foo   with\n spaces"],
        "repository": [None, None, None, "CRAN"], "source": [None, None, "http://x", None],
        "priority": ["base", None, None, None],
        "loaded": ["base", "R6"], "attached": "base",
        "system": "/usr/lib/R/library", "user": "/home/web_user/R/lib",
    })
    assert state.attached == ["base"] and state.loaded == ["base", "R6"]
    groups = build_groups("/host/lib", [PackageRow("R6", "2.5.1", "", "http://x", "/host/lib")], state)
    assert [(g.kind, g.path) for g in groups] == [(USER, "/host/lib"), ("other", "/tmp/extra"),
                                                   (SYSTEM, "/usr/lib/R/library")]
    assert groups[1].rows[0].title == "Foo with spaces" and groups[1].rows[0].source == "CRAN"
    assert groups[2].rows[0].source == "webR"
    with pytest.raises(ValueError):
        parse_state({"name": ["a", "b"], "lib": ["x"]})


def test_sources_summary_names_offline_and_stale_indexes() -> None:
    statuses = [IndexStatus("https://repo.r-wasm.org", True, stale=True, error="index unreachable", fetched_at=0.0),
                IndexStatus("http://127.0.0.1:1", False, error="index unreachable: refused"),
                IndexStatus("/srv/pkgs", True), IndexStatus("cache", True)]
    text = describe_sources(statuses)
    assert "https://repo.r-wasm.org: offline, using the index saved 19" in text
    assert "http://127.0.0.1:1: unreachable, no saved index (index unreachable: refused)" in text
    assert "/srv/pkgs" not in text and "cache" not in text
    assert describe_sources([IndexStatus("x", True)]) == ""


@pytest.fixture
def pane(qtbot, model: PackagesModel) -> PackagesPane:
    widget = PackagesPane(model)
    qtbot.addWidget(widget)
    widget.resize(560, 420)
    widget.show()
    return widget


def _shot(widget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()  # lay out index widgets (progress bars) before the grab
    widget.grab().save(str(SHOTS / name))


def test_pane_filters_by_name_and_title_and_keeps_groups(qtbot, pane: PackagesPane) -> None:
    _shot(pane, "pane.png")
    proxy = pane.proxy
    pane.filter_edit.setText("iterator")
    assert proxy.rowCount(proxy.index(0, 0)) == 1 and proxy.rowCount(proxy.index(1, 0)) == 0
    pane.filter_edit.setText("reference semantics")
    assert proxy.index(0, PackagesModel.NAME, proxy.index(0, 0)).data() == "R6"
    pane.filter_edit.clear()
    assert proxy.rowCount(proxy.index(1, 0)) == 4


def test_remove_asks_first_and_only_for_user_packages(qtbot, pane: PackagesPane, monkeypatch) -> None:
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
    asked: list[str] = []

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(QMessageBox, "question", question)
    tree, proxy = pane.tree, pane.proxy
    selection = tree.selectionModel()
    system_row = proxy.index(0, 0, proxy.index(1, 0))
    selection.select(system_row, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
    assert not pane.remove_action.isEnabled()  # webR's own library isn't the app's to change
    r6 = proxy.mapFromSource(pane._model.find("R6"))
    selection.select(r6, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
    assert pane.remove_action.isEnabled()
    with qtbot.assertNotEmitted(pane.sig_remove_requested):
        pane.remove_action.trigger()
    with qtbot.waitSignal(pane.sig_remove_requested) as blocker:
        pane.remove_action.trigger()
    assert blocker.args == [["R6"]]
    assert "R has R6 loaded" in asked[-1]


def test_notices_offer_restart_and_a_missing_package_with_one_click(qtbot, pane: PackagesPane) -> None:
    pane.offer_missing("foo", "1.2", "http://127.0.0.1:9")
    assert pane.notice.isVisible() and "‘foo’ is not installed" in pane.notice.label.text()
    _shot(pane, "pane-missing-offer.png")
    with qtbot.waitSignal(pane.sig_install_missing_requested) as blocker:
        qtbot.mouseClick(pane.notice.button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["foo"] and not pane.notice.isVisible()
    pane.offer_restart(["R6"])
    with qtbot.waitSignal(pane.sig_restart_requested):
        qtbot.mouseClick(pane.notice.button, Qt.MouseButton.LeftButton)
    pane.show_r_message("detaching \"package:base\" is not allowed")
    assert not pane.notice.button.isVisible() and "not allowed" in pane.notice.label.text()
    pane.set_sources_status("https://repo.r-wasm.org: offline, using the index saved 2026-12-01 10:00")
    assert pane.status_label.isVisible()
    pane.set_sources_status("")
    assert not pane.status_label.isVisible()


@pytest.fixture
def fake() -> FakeService:
    return FakeService()


def test_install_dialog_searches_shows_the_plan_then_installs_with_progress(qtbot, qtmodeltester, fake: FakeService) -> None:
    dialog = InstallDialog(fake)
    qtbot.addWidget(dialog)
    dialog.show()
    assert fake.calls == [("search", "")]
    assert dialog.message.text() == "Reading the package sources…"
    fake.sig_search_finished.emit("", [_candidate("futile.logger", "1.4.3")])
    assert dialog.message.text() == ""
    qtbot.keyClicks(dialog.search_edit, "fut")
    qtbot.waitUntil(lambda: ("search", "fut") in fake.calls)
    fake.sig_search_finished.emit("fut", [_candidate("futile.logger", "1.4.3", title="A Logging Utility"),
                                          _candidate("futile.options", "1.0.1")])
    assert dialog.results_model.rowCount() == 2
    qtmodeltester.check(dialog.results_model)
    assert dialog.select("futile.logger")
    qtbot.waitUntil(lambda: ("plan", ["futile.logger"]) in fake.calls)
    assert not dialog.install_button.isEnabled()  # nothing is installed before the plan is shown
    plan = [PlanItem(_candidate("lambda.r", "1.2.4", 50_000), ("futile.logger",)),
            PlanItem(_candidate("futile.options", "1.0.1", 7_000), ("futile.logger",)),
            PlanItem(_candidate("futile.logger", "1.4.3", None))]
    fake.sig_plan_ready.emit(fake._next, plan)
    assert dialog.plan_tree.topLevelItemCount() == 3
    assert [dialog.plan_tree.topLevelItem(i).text(3) for i in range(3)] == ["48.8 KB", "6.8 KB", "?"]
    assert "3 packages will be installed (55.7 KB or more)" in dialog.plan_label.text()
    assert dialog.install_button.isEnabled()
    _shot(dialog, "install-dialog-plan.png")
    qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert fake.calls[-1] == ("install", ["lambda.r", "futile.options", "futile.logger"])
    fake.sig_install_progress.emit(Progress("lambda.r", "download", 25_000, 50_000))
    bar = dialog._bars["lambda.r"]
    assert (bar.value(), bar.maximum()) == (25_000, 50_000) and "downloading" in bar.format()
    fake.sig_install_progress.emit(Progress("lambda.r", "done"))
    fake.sig_install_progress.emit(Progress("futile.options", "install"))
    assert dialog._bars["futile.options"].format() == "installing"
    _shot(dialog, "install-dialog-progress.png")
    fake.sig_install_finished.emit(["lambda.r", "futile.options", "futile.logger"])
    assert all(b.format() == "installed" for b in dialog._bars.values())
    assert "Installed lambda.r, futile.options, futile.logger." == dialog.message.text()


def test_install_dialog_says_why_a_plan_fails_and_ignores_stale_answers(qtbot, fake: FakeService) -> None:
    dialog = InstallDialog(fake, names=["a"])
    qtbot.addWidget(dialog)
    assert fake.calls == [("plan", ["a"])]
    fake.sig_plan_ready.emit(999, [PlanItem(_candidate("zzz"))])  # another request's answer
    assert dialog.plan_tree.topLevelItemCount() == 0
    fake.sig_plan_failed.emit(fake._next, "package 'b' (>= 1.1) is needed by 'a' but no source has it")
    assert "needed by 'a'" in dialog.message.text() and not dialog.install_button.isEnabled()


def test_install_from_file_plans_that_file(qtbot, fake: FakeService) -> None:
    dialog = InstallDialog(fake, file="/tmp/x_1.0.tgz", title="Install from File")
    qtbot.addWidget(dialog)
    assert fake.calls == [("plan_file", "/tmp/x_1.0.tgz")]
    fake.sig_plan_ready.emit(fake._next, [PlanItem(_candidate("x"))])
    fake_fail = "checksum mismatch for 'x'"
    qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    fake.sig_install_failed.emit(fake_fail)
    assert dialog.message.text() == fake_fail and dialog._bars["x"].format() == "not installed"
    assert dialog.install_button.isEnabled()


def test_update_dialog_lists_installed_against_available(qtbot, fake: FakeService) -> None:
    dialog = UpdateDialog(fake)
    qtbot.addWidget(dialog)
    assert fake.calls == [("check_updates",)]
    fake.sig_updates_found.emit([{"package": "a", "installed": "1.0", "available": "2.0", "source": "http://r",
                                  "kind": "binary"}, {"package": "b", "installed": "1.1", "available": "1.2",
                                                      "source": "http://r", "kind": "binary"}])
    row = dialog.table.topLevelItem(0)
    assert [row.text(i) for i in range(4)] == ["a", "1.0", "2.0", "http://r"]
    dialog.table.topLevelItem(1).setCheckState(0, Qt.CheckState.Unchecked)
    with qtbot.waitSignal(dialog.sig_update_requested) as blocker:
        qtbot.mouseClick(dialog.update_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [["a"]]


def test_repositories_dialog_orders_adds_and_removes(qtbot, monkeypatch, tmp_path: Path) -> None:
    dialog = RepositoriesDialog([SourceConfig("repo", "https://repo.r-wasm.org")])
    qtbot.addWidget(dialog)
    assert dialog.add_url("http://127.0.0.1:8000/")
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    assert not dialog.add_url("ftp://nope")
    dialog.add_folder(str(tmp_path))
    dialog.list.setCurrentRow(2)
    dialog._move(-1)
    dialog._move(-1)
    dialog.list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert [(c.kind, c.location, c.enabled) for c in dialog.configs()] == [
        ("local", str(tmp_path), True), ("repo", "https://repo.r-wasm.org", False),
        ("repo", "http://127.0.0.1:8000", True)]
    dialog.list.setCurrentRow(0)
    dialog._remove()
    assert len(dialog.configs()) == 2
    _shot(dialog, "repositories-dialog.png")



def test_a_click_on_the_checkbox_in_the_view_asks_to_attach(qtbot, pane: PackagesPane) -> None:
    model = pane._model
    for name, want in (("iterators", True), ("stats", False), ("R6", True)):  # R6: loaded, not attached
        index = pane.proxy.mapFromSource(model.find(name).siblingAtColumn(model.LOADED))
        rect = pane.tree.visualRect(index)
        with qtbot.waitSignal(model.sig_attach_requested) as blocker:
            qtbot.mouseClick(pane.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert blocker.args == [name, want]
