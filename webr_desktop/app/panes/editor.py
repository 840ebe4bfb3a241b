"""The script editor: tabs above the console, R completions, run and source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webr_desktop.models.completion import CompletionService
    from webr_desktop.models.project import ProjectService
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.editor.editor_tabs import EditorTabs
    from webr_desktop.ui.main_window import MainWindow


def add_editor(
    window: MainWindow, session: RSession, project: ProjectService, submit: Callable[[str], None],
) -> tuple[EditorTabs, CompletionService]:
    """Editor tabs above the console (shown while a file is open) and the completion service
    they share with the console. ``submit`` types code at the console (run and source)."""
    from webr_desktop.models.completion import CompletionService
    from webr_desktop.models.script_source import ScriptSourcer
    from webr_desktop.ui.editor.editor_tabs import EditorTabs

    completions = CompletionService(session, window)
    editor = EditorTabs(completions)
    window.add_central_pane(editor, stretch=3, index=0)
    editor.hide()
    editor.tabs.currentChanged.connect(lambda _index: window.show_central_pane(editor, editor.tabs.count() > 0))
    sourcer = ScriptSourcer(session, project, submit, window)
    editor.sig_source_requested.connect(
        lambda path, text, echo: sourcer.source(Path(path) if path else None, text, echo)
    )
    sourcer.sig_problem.connect(window.show_problem)
    actions = editor.menu_actions()
    split = next(i for i, a in enumerate(actions) if a.isSeparator())  # file commands first
    window.add_file_actions(actions[:split])
    window.add_menu("&Code", actions[split + 1:])
    window.set_close_guard(editor.maybe_close_all)
    return editor, completions
