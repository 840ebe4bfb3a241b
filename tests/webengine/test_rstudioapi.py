"""rstudioapi from real CRAN code (Debian bookworm's r-cran-rstudioapi 0.14, pinned) against the
wired window and the real webR: R's calls wait for the editor, the console and dialogs.

The package tree is copied to a host folder that the project service mounts in R, and loaded
with ``library(rstudioapi, lib.loc = <that folder>)``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QLineEdit, QMessageBox

from webr_desktop.runtime.session import SessionState
from webr_desktop.ui.rstudioapi.dialogs import DIALOG_NAME

from tests.fixtures.debian_r import AptUnavailable, package_trees
from tests.webengine.driver import ide_window

pytestmark = pytest.mark.webengine

SCRIPT = "first <- 1\nsecond <- 2\nthird <- 3\nfourth <- 4\n"


@pytest.fixture(scope="module")
def rlib(tmp_path_factory) -> Path:
    """A host folder holding rstudioapi/ (the .deb's tree)."""
    try:
        tree = package_trees(("r-cran-rstudioapi",))["rstudioapi"]
    except AptUnavailable as exc:
        pytest.skip(str(exc))
    lib = tmp_path_factory.mktemp("rlib")
    shutil.copytree(tree, lib / "rstudioapi")
    return lib


@pytest.fixture
def ide(shared, qtbot, tmp_path: Path, rlib: Path):
    """The wired window on the shared R, with a project folder holding rstudioapi (loaded)."""
    project_dir = tmp_path / "proj"
    shutil.copytree(rlib, project_dir / "rlib")
    window, console = ide_window(shared, project_dir, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    window.resize(760, 560)  # closed here, not by qtbot (which closes before fixtures end)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: shared.session.state is SessionState.IDLE, timeout=10_000)
    # Into R's own file system (R's library() can't normalizePath() on a host folder's mount).
    _run(shared, qtbot, 'local({ lib <- file.path(tempdir(), "rsa-lib"); if (!dir.exists(lib)) { '
                        'dir.create(lib); stopifnot(file.copy("rlib/rstudioapi", lib, recursive = TRUE)) }; '
                        'suppressWarnings(library(rstudioapi, lib.loc = lib)) })')
    yield window, console, project_dir
    for editor in window.editor.editors():
        editor.document().setModified(False)  # nothing to save when the window closes
    window.close()
    window.deleteLater()


def _r_path(shared, qtbot, name: str) -> str:
    """Where R sees the project file ``name`` (the mount point may differ from the host path)."""
    return _run(shared, qtbot, f'cat(file.path(getwd(), "{name}"))')


def _run(shared, qtbot, code: str, timeout: int = 20_000) -> str:
    out = shared.run(qtbot, code, timeout=timeout)
    errors = [t for k, t in out if k == "stderr" and t.strip()]
    assert not errors, errors
    return "\n".join(t for k, t in out if k == "stdout")


def _open_script(window, qtbot, folder: Path, name: str = "script.R") -> tuple[Path, object]:
    path = folder / name
    path.write_text(SCRIPT, encoding="utf-8")
    editor = window.editor.open_file(path)
    assert editor is not None
    return path, editor


def test_is_available_and_names_this_app(shared, qtbot, ide) -> None:
    out = _run(shared, qtbot, 'cat(isAvailable(), isAvailable("1.4"), hasFun("getActiveDocumentContext"), '
                              'hasFun("noSuchThing"), versionInfo()$release_name, as.character(getVersion()), sep = "|")')
    assert out.split("|") == ["TRUE", "TRUE", "TRUE", "FALSE", "webR Desktop", "2023.6.0"]
    out = _run(shared, qtbot, 'cat(readRStudioPreference("num_spaces_for_tab", 8), '
                              'readRStudioPreference("no_such_pref", "dflt"), hasColorConsole())')
    assert out == "2 dflt TRUE"


def test_active_document_context_is_the_open_script(shared, qtbot, ide) -> None:
    window, _console, folder = ide
    _path, editor = _open_script(window, qtbot, folder)
    cursor = editor.textCursor()
    block = editor.document().findBlockByNumber(1)  # "second <- 2": select "second"
    cursor.setPosition(block.position())
    cursor.setPosition(block.position() + 6, cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    out = _run(shared, qtbot, "ctx <- getActiveDocumentContext(); sel <- primary_selection(ctx); "
                              "cat(class(ctx), ctx$path, length(ctx$contents), ctx$contents[2], "
                              "class(sel$range), unlist(sel$range), sel$text, sep = '|')")
    assert out.split("|") == ["document_context", _r_path(shared, qtbot, "script.R"), "5", "second <- 2", "document_range",
                              "2", "1", "2", "7", "second"]
    same = _run(shared, qtbot, "cat(identical(getSourceEditorContext()$id, ctx$id), documentPath(ctx$id))")
    assert same == f"TRUE {_r_path(shared, qtbot, 'script.R')}"


def test_insert_text_and_modify_range_change_the_buffer(shared, qtbot, ide) -> None:
    window, _console, folder = ide
    _path, editor = _open_script(window, qtbot, folder)
    _run(shared, qtbot, 'insertText(c(1, 1, 1, 1), "# top\\n")')
    assert editor.toPlainText().startswith("# top\nfirst <- 1\n")
    _run(shared, qtbot, 'modifyRange(document_range(c(3, 1), c(3, 7)), "SECOND")')
    assert editor.toPlainText().split("\n")[2] == "SECOND <- 2"
    _run(shared, qtbot, 'insertText(Inf, "# end\\n"); setCursorPosition(document_position(2, 1)); insertText("X")')
    lines = editor.toPlainText().split("\n")
    assert lines[1] == "Xfirst <- 1" and editor.toPlainText().endswith("fourth <- 4\n# end\n")
    assert editor.document().isModified()
    _run(shared, qtbot, 'setDocumentContents("all new\\n", id = getSourceEditorContext()$id)')
    assert editor.toPlainText() == "all new\n"


def test_navigate_to_file_opens_it_at_the_line(shared, qtbot, ide) -> None:
    window, _console, folder = ide
    other = folder / "other.R"
    other.write_text("a <- 1\nb <- 2\nc <- 3\nd <- 4\n", encoding="utf-8")
    _run(shared, qtbot, 'navigateToFile("other.R", line = 3)')
    current = window.editor.current_editor()
    assert current is not None and window.editor.path_of(current) == other
    assert current.textCursor().blockNumber() == 2
    assert current.textCursor().block().text() == "c <- 3"


def test_navigate_outside_the_project_is_refused(shared, qtbot, ide) -> None:
    window, _console, _folder = ide
    before = len(window.editor.editors())
    out = shared.run(qtbot, 'tryCatch(navigateToFile("/etc/passwd"), error = function(e) cat(conditionMessage(e)))')
    text = "".join(t for _k, t in out)
    assert "not a file in an open project folder" in text
    assert len(window.editor.editors()) == before


def test_send_to_console_runs(shared, qtbot, ide) -> None:
    _run(shared, qtbot, 'if (exists("rsa_x")) rm(rsa_x); sendToConsole("rsa_x <- 1")')
    qtbot.waitUntil(lambda: shared.session.state is SessionState.IDLE, timeout=10_000)
    assert shared.eval(qtbot, 'exists("rsa_x") && rsa_x == 1') is True


def test_select_file_is_answered_through_the_dialog(shared, qtbot, ide) -> None:
    _window, _console, folder = ide
    target = folder / "data.csv"
    target.write_text("a,b\n1,2\n", encoding="utf-8")
    mark, prompts = shared.mark(), shared.prompts
    shared.session.write_console("picked <- selectFile(); cat('picked:', picked)")

    def dialog() -> QFileDialog | None:
        found = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QFileDialog) and w.objectName() == DIALOG_NAME and w.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: dialog() is not None or shared.prompts > prompts, timeout=10_000)
    box = dialog()
    assert box is not None, shared.since(mark)
    assert box.directory().absolutePath() == str(folder)  # starts in the project folder
    box.findChild(QLineEdit, "fileNameEdit").setText(target.name)  # typed, as a user would
    _shot(box, "rstudioapi-select-file")
    box.accept()
    qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=10_000)
    assert f"picked: {_r_path(shared, qtbot, 'data.csv')}" in "".join(shared.text(mark))


def test_show_question_and_a_cancelled_prompt(shared, qtbot, ide) -> None:
    mark, prompts = shared.mark(), shared.prompts
    shared.session.write_console('cat("answer:", showQuestion("Q", "Go on?", "Yes", "No"))')

    def box() -> QMessageBox | None:
        found = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == DIALOG_NAME and w.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: box() is not None, timeout=10_000)
    yes = next(b for b in box().buttons() if b.text() == "Yes")
    yes.click()
    qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=10_000)
    assert "answer: TRUE" in "".join(shared.text(mark))

    mark, prompts = shared.mark(), shared.prompts
    shared.session.write_console('cat("prompt:", is.null(showPrompt("Name", "Your name?", "ann")))')
    qtbot.waitUntil(lambda: _dialog(QInputDialog) is not None, timeout=10_000)
    asked = _dialog(QInputDialog)
    assert asked.textValue() == "ann" and asked.labelText() == "Your name?"
    _shot(asked, "rstudioapi-prompt")
    asked.reject()  # Cancel: R gets NULL
    qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=10_000)
    assert "prompt: TRUE" in "".join(shared.text(mark))


def test_document_save_writes_the_buffer(shared, qtbot, ide) -> None:
    window, _console, folder = ide
    path, editor = _open_script(window, qtbot, folder)
    _run(shared, qtbot, 'insertText(c(1, 1, 1, 1), "# saved\\n"); stopifnot(isTRUE(documentSave()))')
    assert path.read_text(encoding="utf-8") == "# saved\n" + SCRIPT
    assert not editor.document().isModified()
    editor.document().setPlainText("changed")  # an untitled or outside file is never saved by R
    new = window.editor.new_file("x")
    assert _run(shared, qtbot, f'cat(documentSave("{window.editor.key_of(new)}"))') == "FALSE"


def _dialog(kind):
    found = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, kind) and w.objectName() == DIALOG_NAME and w.isVisible()]
    return found[0] if found else None


def _shot(widget, name: str) -> None:
    """Saved under $WD_SCREENSHOTS if set, to look at."""
    if os.environ.get("WD_SCREENSHOTS"):
        Path(os.environ["WD_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(os.environ["WD_SCREENSHOTS"]) / f"{name}.png"))


def test_unimplemented_function_gives_rstudioapis_error(shared, qtbot, ide) -> None:
    out = _run(shared, qtbot, 'cat(tryCatch(sourceMarkers("x", data.frame()), error = conditionMessage))')
    assert out == "Function sourceMarkers not found in RStudio"


def test_restart_session_restarts_r_and_runs_the_command(fresh, qtbot, tmp_path: Path, rlib: Path) -> None:
    project_dir = tmp_path / "proj"
    shutil.copytree(rlib, project_dir / "rlib")
    window, _console = ide_window(fresh, project_dir, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    try:
        qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE, timeout=10_000)
        _run(fresh, qtbot, 'rsa_before <- 1; local({ lib <- file.path(tempdir(), "l"); dir.create(lib); '
                           'file.copy("rlib/rstudioapi", lib, recursive = TRUE); library(rstudioapi, lib.loc = lib) })')
        with qtbot.waitSignal(fresh.session.sig_started, timeout=30_000):
            fresh.session.write_console('restartSession("rsa_after <- 42")')
        qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE, timeout=15_000)
        qtbot.waitUntil(lambda: fresh.eval(qtbot, 'exists("rsa_after")') is True, timeout=15_000)
        assert fresh.eval(qtbot, 'exists("rsa_before")') is False  # a new R
        assert fresh.eval(qtbot, '"tools:rstudio" %in% search()') is True  # set up again
    finally:
        window.close()
        window.deleteLater()


def test_a_link_out_of_the_project_is_refused(shared, qtbot, ide) -> None:
    window, _console, folder = ide
    outside = folder.parent / "secret.txt"
    outside.write_text("not for R\n", encoding="utf-8")
    (folder / "link.R").symlink_to(outside)
    before = len(window.editor.editors())
    # Straight to the route, as hostile R code would call it (past rstudioapi's and our R checks).
    link = _r_path(shared, qtbot, "link.R")
    out = shared.run(qtbot, f'tryCatch(get(".wd.rstudioapi_call", "tools:rstudio")("documentOpen", path = "{link}"), '
                            'error = function(e) cat(conditionMessage(e)))')
    assert "not a file in an open project folder" in "".join(t for _k, t in out)
    out = shared.run(qtbot, 'tryCatch(navigateToFile("link.R"), error = function(e) cat(conditionMessage(e)))')
    assert "not a file in an open project folder" in "".join(t for _k, t in out)
    assert len(window.editor.editors()) == before


def test_new_document_selections_console_context_and_viewer(shared, qtbot, ide) -> None:
    window, console, _folder = ide
    _run(shared, qtbot, 'rsa_id <- documentNew("a <- 1\\nbb <- 2\\n"); '
                        'setSelectionRanges(document_range(c(2, 1), c(2, 3)), id = rsa_id)')
    current = window.editor.current_editor()
    assert current.toPlainText() == "a <- 1\nbb <- 2\n" and current.textCursor().selectedText() == "bb"
    out = _run(shared, qtbot, 'ctx <- getSourceEditorContext(rsa_id); '
                              'cat(identical(ctx$id, rsa_id), ctx$path == "", primary_selection(ctx)$text)')
    assert out == "TRUE TRUE bb"
    console.input.set_text("typed <- 1")
    out = _run(shared, qtbot, 'ctx <- getConsoleEditorContext(); cat(ctx$id, ctx$contents, sep = "|")')
    assert out == "#console|typed <- 1"
    out = _run(shared, qtbot, 'options(viewer = function(url, height = NULL) cat("viewer:", url)); '
                              'rstudioapi::viewer("page.html")')
    assert out == "viewer: page.html"
    current.document().setModified(False)


def test_directory_message_and_password_dialogs(shared, qtbot, ide) -> None:
    _window, _console, folder = ide
    (folder / "sub").mkdir()

    def answer(code: str, kind, act) -> str:
        mark, prompts = shared.mark(), shared.prompts
        shared.session.write_console(code)
        qtbot.waitUntil(lambda: _dialog(kind) is not None, timeout=10_000)
        act(_dialog(kind))
        qtbot.waitUntil(lambda: shared.prompts > prompts and shared.session.state is SessionState.IDLE, timeout=10_000)
        assert not [t for t in shared.text(mark, "stderr") if t.strip()]
        return "".join(shared.text(mark))

    def pick_sub(box: QFileDialog) -> None:
        assert box.fileMode() == QFileDialog.FileMode.Directory
        box.findChild(QLineEdit, "fileNameEdit").setText("sub")
        box.accept()

    assert f"dir: {_r_path(shared, qtbot, 'sub')}" in answer("cat('dir:', selectDirectory())", QFileDialog, pick_sub)

    def read_and_close(box: QMessageBox) -> None:
        assert "Done." in box.text() and "https://example.org" in box.text()
        box.accept()

    assert "shown: TRUE" in answer('cat("shown:", is.null(showDialog("T", "Done.", url = "https://example.org")))',
                                   QMessageBox, read_and_close)

    def type_password(box: QInputDialog) -> None:
        assert box.textEchoMode() == QLineEdit.EchoMode.Password
        box.setTextValue("s3cret")
        box.accept()

    assert "pw: s3cret" in answer('cat("pw:", askForPassword("Token?"))', QInputDialog, type_password)


def test_a_window_closed_while_r_waits_gives_r_a_clear_error(fresh, qtbot, tmp_path: Path, rlib: Path) -> None:
    project_dir = tmp_path / "proj"
    shutil.copytree(rlib, project_dir / "rlib")
    window, _console = ide_window(fresh, project_dir, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    window.show()
    qtbot.waitUntil(lambda: fresh.session.state is SessionState.IDLE, timeout=10_000)
    _run(fresh, qtbot, 'local({ lib <- file.path(tempdir(), "l"); dir.create(lib); '
                       'file.copy("rlib/rstudioapi", lib, recursive = TRUE); library(rstudioapi, lib.loc = lib) })')
    mark, prompts = fresh.mark(), fresh.prompts
    fresh.session.write_console('showQuestion("Q", "Still there?")')
    qtbot.waitUntil(lambda: _dialog(QMessageBox) is not None, timeout=10_000)
    window.close()
    window.deleteLater()  # the window goes with the question open
    qtbot.waitUntil(lambda: fresh.prompts > prompts and fresh.session.state is SessionState.IDLE, timeout=10_000)
    assert "window is closed" in "".join(fresh.text(mark, "stderr"))
    assert fresh.eval(qtbot, "1 + 1") == 2  # R goes on
