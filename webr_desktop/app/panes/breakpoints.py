"""Breakpoints: every script tab gets a gutter of breakpoints, kept per file and placed in R.

Each editor tab gets a LineMarks (the lines, moving with edits) and a BreakpointGutter (the
dots). A tab of a saved file starts with the file's saved breakpoints; a change is saved and
sent to R at once while the buffer matches the file, and only saved (sent on the next save)
while it has unsaved changes, since R's copy of the file has the saved line numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from webr_desktop.models.breakpoint_service import BreakpointService
    from webr_desktop.models.project import ProjectService
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.editor.code_editor import CodeEditor
    from webr_desktop.ui.editor.editor_tabs import EditorTabs
    from webr_desktop.ui.main_window import MainWindow
    from webr_desktop.ui.source.source_area import SourceArea


def add_breakpoints(window: MainWindow, session: RSession, project: ProjectService, settings: QSettings,
                    area: SourceArea) -> BreakpointService:
    """The service, and a gutter of breakpoints on every script tab of ``area``."""
    from webr_desktop.models.breakpoint_service import BreakpointService
    from webr_desktop.models.breakpoints import BreakpointStore, LineMarks
    from webr_desktop.ui.editor.breakpoint_gutter import UNSAVED, UNTITLED, BreakpointGutter

    service = BreakpointService(session, project, BreakpointStore(settings), window)
    service.sig_problem.connect(window.show_problem)
    project.sig_folder_changed.connect(lambda _folder: service.resend_all())
    tabs: EditorTabs = area.editor
    gutters: dict[CodeEditor, BreakpointGutter] = {}
    paths: dict[CodeEditor, Path | None] = {}

    def current_path(editor: CodeEditor) -> Path | None:
        """The tab's file now; a Save As or a rename moves its breakpoints."""
        path = tabs.path_of(editor)
        old = paths.get(editor)
        if old is not None and path is not None and old != path:
            service.rename(old, path)
        paths[editor] = path
        return path

    def show(editor: CodeEditor, unsaved: bool = False) -> None:
        gutter, path = gutters[editor], paths.get(editor)
        if path is None:
            gutter.set_statuses({}, UNTITLED)
        elif unsaved or editor.document().isModified():
            gutter.set_statuses(service.statuses(path), UNSAVED)
        else:
            gutter.set_statuses(service.statuses(path))

    def on_lines_changed(editor: CodeEditor, lines: list[int], edited: bool = False) -> None:
        """A toggle (sent to R if the buffer is the file), or an edit moved lines (the buffer
        now differs from R's file: saved only; the save sends them)."""
        path = current_path(editor)
        if path is not None:
            if edited or editor.document().isModified():
                service.remember(path, lines)
            else:
                service.set_lines(path, lines)
        show(editor, unsaved=edited)

    def on_modification_changed(editor: CodeEditor, modified: bool) -> None:
        path = current_path(editor)
        if path is not None and not modified:  # saved: R's copy now has these lines
            service.set_lines(path, gutters[editor].marks.lines())
        show(editor)

    def attach(editor: CodeEditor) -> None:
        marks = LineMarks(editor.document(), editor)
        gutters[editor] = BreakpointGutter(editor, marks)
        paths[editor] = tabs.path_of(editor)
        marks.sig_lines_changed.connect(lambda lines, e=editor: on_lines_changed(e, lines))
        marks.sig_lines_moved.connect(lambda lines, e=editor: on_lines_changed(e, lines, edited=True))
        editor.document().modificationChanged.connect(lambda m, e=editor: on_modification_changed(e, m))
        editor.destroyed.connect(lambda _obj=None, e=editor: (gutters.pop(e, None), paths.pop(e, None)))
        path = paths[editor]
        saved = service.saved_lines(path) if path is not None else []
        if saved:
            marks.set_lines(saved)
        else:
            show(editor)

    def on_tabs_changed(_count: int) -> None:
        for editor in tabs.editors():
            if editor not in gutters:
                attach(editor)

    def on_statuses_changed(host: str) -> None:
        for editor, path in list(paths.items()):
            if path is not None and str(path) == host and editor in gutters:
                show(editor)

    def on_file_changed(_path: object) -> None:
        """A Save As (or the shown tab changed): tabs whose file moved take their breakpoints."""
        open_now = set(tabs.editors())  # a closed tab's editor lingers until deleteLater
        for editor, old in list(paths.items()):
            if editor in gutters and editor in open_now and tabs.path_of(editor) != old:
                path = current_path(editor)
                if path is not None and not editor.document().isModified():
                    service.set_lines(path, gutters[editor].marks.lines())
                show(editor)

    area.tabs.sig_count_changed.connect(on_tabs_changed)
    tabs.sig_current_file_changed.connect(on_file_changed)
    service.sig_statuses_changed.connect(on_statuses_changed)
    on_tabs_changed(area.count())
    return service
