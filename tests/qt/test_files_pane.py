"""FilesPane on real temporary folders: what it lists, what it does to the disk, what it emits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, QLocale, QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QInputDialog, QMessageBox

from webr_desktop.ui.files import file_ops
from webr_desktop.ui.files.file_tree_model import FileTreeModel
from webr_desktop.ui.files.files_pane import FilesPane


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    (root / "R").mkdir()
    (root / ".git").mkdir()
    (root / "analysis.R").write_text("x <- 1\n")
    (root / "file10.R").write_text("")
    (root / "file2.R").write_text("")
    (root / "Zeta.md").write_text("")
    (root / ".Rprofile").write_text("")
    (root / ".secret").write_text("")
    (root / "data" / "mtcars.csv").write_text("a,b\n1,2\n")
    return root.resolve()


@pytest.fixture
def pane(qtbot, project: Path) -> FilesPane:
    widget = FilesPane()
    qtbot.addWidget(widget)
    widget.resize(350, 500)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_root(project)
    qtbot.waitUntil(lambda: "analysis.R" in names(widget))
    return widget


def names(pane: FilesPane, folder: Path | None = None) -> list[str]:
    parent = pane.tree.rootIndex() if folder is None else pane.model.index_for(folder)
    return [pane.model.index(r, 0, parent).data() for r in range(pane.model.rowCount(parent))]


def select(pane: FilesPane, path: Path) -> None:
    assert pane.select_path(path)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Scripted dialogs: queue names for QInputDialog, record warnings, answer questions."""
    record: dict[str, list] = {"names": [], "warnings": [], "questions": [], "answer": [QMessageBox.StandardButton.Yes]}

    def get_text(_parent, _title, label, _mode, default):
        record.setdefault("labels", []).append((label, default))
        if not record["names"]:
            return "", False
        return record["names"].pop(0), True

    def warning(_parent, _title, text, *args, **kwargs):
        record["warnings"].append(text)
        return QMessageBox.StandardButton.Ok

    def question(_parent, _title, text, *args, **kwargs):
        record["questions"].append(text)
        return record["answer"][0]

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(QMessageBox, "question", question)
    return record


def test_tree_lists_folders_first_in_natural_order_and_hides_dotfiles(pane: FilesPane) -> None:
    assert names(pane) == ["data", "R", ".Rprofile", "analysis.R", "file2.R", "file10.R", "Zeta.md"]
    pane.hidden_action.setChecked(True)
    assert names(pane) == [".git", "data", "R", ".Rprofile", ".secret", "analysis.R", "file2.R", "file10.R", "Zeta.md"]
    pane.hidden_action.setChecked(False)
    assert ".secret" not in names(pane)


@pytest.mark.timeout(30)
def test_the_model_passes_the_model_tester(qtbot, qtmodeltester, pane: FilesPane, project: Path) -> None:
    pane.tree.expand(pane.model.index_for(project / "data"))
    qtbot.waitUntil(lambda: names(pane, project / "data") == ["mtcars.csv"])
    qtmodeltester.check(pane.model)
    top = pane.model.index(0, 0)  # above the root only the path down to it is kept
    assert pane.model.rowCount() == 1 and project.as_posix().startswith(pane.model.file_path(top).as_posix())


def test_a_file_created_on_disk_appears_and_a_deleted_one_goes(qtbot, pane: FilesPane, project: Path) -> None:
    (project / "new_from_r.csv").write_text("1,2\n")
    qtbot.waitUntil(lambda: "new_from_r.csv" in names(pane))
    (project / "analysis.R").unlink()
    qtbot.waitUntil(lambda: "analysis.R" not in names(pane))


def test_size_and_date_follow_a_file_rewritten_in_place(qtbot, pane: FilesPane, project: Path) -> None:
    """QFileSystemModel alone kept the first size: it re-reads files only when a folder changes."""
    target = project / "analysis.R"
    index = pane.model.index_for(target)
    size = index.siblingAtColumn(FileTreeModel.SIZE)
    qtbot.waitUntil(lambda: pane.model.fs.size(pane.model.mapToSource(index)) == target.stat().st_size)
    with target.open("r+b") as f:  # in place: the folder's entries don't change
        f.write(b"x" * 5000)
    os.utime(target, (1_700_000_000, 1_700_000_000))
    locale = QLocale.system()
    assert pane.model.data(size) == locale.formattedDataSize(5000)
    when = QDateTime.fromSecsSinceEpoch(1_700_000_000)
    assert pane.model.data(size.siblingAtColumn(FileTreeModel.MODIFIED)) == locale.toString(when, QLocale.FormatType.ShortFormat)
    pane.refresh_details()  # repaints; the rows read the disk again


def test_a_file_in_an_expanded_subfolder_appears(qtbot, pane: FilesPane, project: Path) -> None:
    pane.tree.expand(pane.model.index_for(project / "data"))
    qtbot.waitUntil(lambda: names(pane, project / "data") == ["mtcars.csv"])
    (project / "data" / "iris.csv").write_text("x\n")
    qtbot.waitUntil(lambda: names(pane, project / "data") == ["iris.csv", "mtcars.csv"])


def test_double_click_and_enter_on_a_file_emit_open(qtbot, pane: FilesPane, project: Path) -> None:
    index = pane.model.index_for(project / "analysis.R")
    pos = pane.tree.visualRect(index).center()
    with qtbot.waitSignal(pane.sig_open_file) as blocker:
        qtbot.mouseClick(pane.tree.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        qtbot.mouseDClick(pane.tree.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [project / "analysis.R"]
    select(pane, project / "Zeta.md")
    with qtbot.waitSignal(pane.sig_open_file) as blocker:
        qtbot.keyClick(pane.tree, Qt.Key.Key_Return)
    assert blocker.args == [project / "Zeta.md"]


def test_enter_on_a_folder_expands_it_without_opening(qtbot, pane: FilesPane, project: Path) -> None:
    opened: list[Path] = []
    pane.sig_open_file.connect(opened.append)
    select(pane, project / "data")
    qtbot.keyClick(pane.tree, Qt.Key.Key_Return)
    assert pane.tree.isExpanded(pane.model.index_for(project / "data"))
    assert opened == []


def test_new_file_in_the_selected_folder_is_created_and_opened(qtbot, pane: FilesPane, project: Path, answers) -> None:
    select(pane, project / "data")
    answers["names"].append("clean.R")
    with qtbot.waitSignal(pane.sig_open_file) as blocker:
        pane.new_file_action.trigger()
    assert (project / "data" / "clean.R").is_file()
    assert blocker.args == [project / "data" / "clean.R"]
    qtbot.waitUntil(lambda: pane.current_path() == project / "data" / "clean.R")


def test_new_folder_at_the_root_when_nothing_is_selected(qtbot, pane: FilesPane, project: Path, answers) -> None:
    answers["names"].append("output")
    pane.new_folder_action.trigger()
    assert (project / "output").is_dir()
    qtbot.waitUntil(lambda: "output" in names(pane))


@pytest.mark.parametrize("bad", ["a/b.R", "../escape.R", "..", "analysis.R", "data"])
def test_bad_names_are_refused_and_the_disk_is_untouched(pane: FilesPane, project: Path, answers, bad: str) -> None:
    before = sorted(p.relative_to(project) for p in project.parent.rglob("*"))
    answers["names"].extend([bad, bad, bad])
    pane.new_file()
    pane.new_folder()
    select(pane, project / "file2.R")
    pane.rename_selected()
    assert sorted(p.relative_to(project) for p in project.parent.rglob("*")) == before
    assert len(answers["warnings"]) == 3 and all(answers["warnings"])
    assert (project / "analysis.R").read_text() == "x <- 1\n"


def test_cancelled_dialog_does_nothing(pane: FilesPane, project: Path, answers) -> None:
    before = sorted(project.rglob("*"))
    assert pane.new_file() is None and pane.new_folder() is None
    assert sorted(project.rglob("*")) == before and answers["warnings"] == []


def test_rename_renames_on_disk_and_reports_it(qtbot, pane: FilesPane, project: Path, answers) -> None:
    select(pane, project / "analysis.R")
    answers["names"].append("model.R")
    with qtbot.waitSignal(pane.sig_path_renamed) as blocker:
        pane.rename_action.trigger()
    assert blocker.args == [project / "analysis.R", project / "model.R"]
    assert (project / "model.R").read_text() == "x <- 1\n" and not (project / "analysis.R").exists()
    assert answers["labels"][-1][1] == "analysis.R"  # the dialog starts from the old name
    qtbot.waitUntil(lambda: "model.R" in names(pane) and "analysis.R" not in names(pane))


def test_delete_moves_to_the_trash_where_there_is_one(
        qtbot, pane: FilesPane, project: Path, answers, tmp_path: Path, monkeypatch) -> None:
    data_home = tmp_path / "xdg-data"
    data_home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))  # Qt's freedesktop trash lives here
    if not file_ops.move_to_trash(_scratch(project)):
        pytest.skip("QFile.moveToTrash does not work on this system (the permanent path is tested below)")
    select(pane, project / "analysis.R")
    with qtbot.waitSignal(pane.sig_paths_deleted) as blocker:
        pane.delete_action.trigger()
    assert blocker.args == [[project / "analysis.R"]]
    assert not (project / "analysis.R").exists()
    assert (data_home / "Trash" / "files" / "analysis.R").read_text() == "x <- 1\n"
    assert answers["questions"] == []  # trash is undoable: no prompt


def _scratch(project: Path) -> Path:
    probe = project / "probe.tmp"
    probe.write_text("")
    return probe


def test_without_a_trash_delete_asks_and_then_deletes_permanently(
        qtbot, pane: FilesPane, project: Path, answers, monkeypatch) -> None:
    monkeypatch.setattr(file_ops, "move_to_trash", lambda path: False)
    pane.tree.selectionModel().clearSelection()
    select(pane, project / "data")
    pane.tree.selectionModel().select(pane.model.index_for(project / "file2.R"),
                                      pane.tree.selectionModel().SelectionFlag.Select
                                      | pane.tree.selectionModel().SelectionFlag.Rows)
    answers["answer"][0] = QMessageBox.StandardButton.Cancel
    assert pane.delete_selected() == []
    assert (project / "data" / "mtcars.csv").exists() and (project / "file2.R").exists()
    assert "permanently" in answers["questions"][0] and "can't be undone" in answers["questions"][0]
    assert "data/" in answers["questions"][0] and "file2.R" in answers["questions"][0]
    answers["answer"][0] = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(pane.sig_paths_deleted) as blocker:
        pane.delete_selected()
    assert sorted(blocker.args[0]) == [project / "data", project / "file2.R"]
    assert not (project / "data").exists() and not (project / "file2.R").exists()
    qtbot.waitUntil(lambda: "data" not in names(pane) and "file2.R" not in names(pane))


def test_set_as_working_directory_emits_the_folder(qtbot, pane: FilesPane, project: Path) -> None:
    with qtbot.waitSignal(pane.sig_set_working_dir) as blocker:
        pane.set_wd_action.trigger()  # nothing selected: the root
    assert blocker.args == [project]
    select(pane, project / "data")
    with qtbot.waitSignal(pane.sig_set_working_dir) as blocker:
        pane.set_wd_action.trigger()
    assert blocker.args == [project / "data"]
    select(pane, project / "analysis.R")
    with qtbot.waitSignal(pane.sig_set_working_dir) as blocker:
        pane.set_wd_action.trigger()  # a file: its folder
    assert blocker.args == [project]


class UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def catch(self, url: QUrl) -> None:
        self.urls.append(url)


def test_show_in_file_manager_opens_the_folder(qtbot, pane: FilesPane, project: Path) -> None:
    pane.tree.expand(pane.model.index_for(project / "data"))
    qtbot.waitUntil(lambda: names(pane, project / "data") == ["mtcars.csv"])
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "catch")
    try:
        select(pane, project / "data" / "mtcars.csv")  # a file: its folder opens
        pane.reveal_action.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in catcher.urls] == [project / "data"]


def test_up_goes_to_the_parent_and_project_comes_back(qtbot, pane: FilesPane, project: Path) -> None:
    assert pane.path_label.full_text().endswith("proj")
    assert not pane.project_button.isVisibleTo(pane)
    pane.up_action.trigger()
    assert pane.root() == project.parent
    qtbot.waitUntil(lambda: "proj" in names(pane))
    assert pane.project_button.isVisibleTo(pane)
    pane.project_action.trigger()
    assert pane.root() == project
    assert pane.project() == project


def test_empty_state_offers_open_folder(qtbot) -> None:
    widget = FilesPane()
    qtbot.addWidget(widget)
    widget.show()
    assert widget.root() is None and widget.open_folder_button.isVisible()
    assert not widget.new_file_action.isEnabled() and not widget.delete_action.isEnabled()
    with qtbot.waitSignal(widget.sig_open_folder_requested):
        qtbot.mouseClick(widget.open_folder_button, Qt.MouseButton.LeftButton)


def test_refresh_keeps_expanded_folders(qtbot, pane: FilesPane, project: Path) -> None:
    pane.tree.expand(pane.model.index_for(project / "data"))
    pane.refresh_action.trigger()
    qtbot.waitUntil(lambda: "analysis.R" in names(pane))
    assert pane.tree.isExpanded(pane.model.index_for(project / "data"))


def test_context_menu_offers_the_commands(pane: FilesPane, project: Path) -> None:
    select(pane, project / "analysis.R")
    texts = [a.text() for a in pane.context_menu().actions() if a.text()]
    assert texts[0] == "Open"
    for wanted in ("New File…", "New Folder…", "Rename…", "Delete", "Set as Working Directory",
                   "Show in File Manager", "Refresh"):
        assert wanted in texts


def test_model_root_and_paths(qtbot, tmp_path: Path) -> None:
    model = FileTreeModel()
    (tmp_path / "a").mkdir()
    model.set_root(tmp_path)  # (its index goes stale as rows arrive: ask again each time)
    qtbot.waitUntil(lambda: model.rowCount(model.root_index()) == 1)
    assert model.file_path(model.index(0, 0, model.root_index())) == tmp_path.resolve() / "a"
    assert model.headerData(FileTreeModel.NAME, Qt.Orientation.Horizontal) == "Name"
    assert os.fspath(model.root) == os.fspath(tmp_path.resolve())
