"""The Source area above the console: script tabs and View() tabs in one tab bar.

Both kinds live here, in one module, because they share one tab widget and one place in
the window: the area shows while it has tabs, comes forward when a script is opened or R
shows data, and hides when its last tab closes (the console then takes the height).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webr_desktop.models.completion import CompletionService
    from webr_desktop.models.data_view import DataViewService
    from webr_desktop.models.project import ProjectService
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.main_window import MainWindow
    from webr_desktop.ui.source.source_area import SourceArea


def add_source(
    window: MainWindow, session: RSession, project: ProjectService, submit: Callable[[str], None],
) -> tuple[SourceArea, DataViewService, CompletionService]:
    """The area, the service that pages data from R, and the completion service the
    editor shares with the console. ``submit`` types code at the console (run and source)."""
    from webr_desktop.models.completion import CompletionService
    from webr_desktop.models.data_view import DataViewService
    from webr_desktop.models.script_source import ScriptSourcer
    from webr_desktop.ui.source.source_area import SourceArea

    completions = CompletionService(session, window)
    area = SourceArea(completions)
    window.add_central_pane(area, stretch=3, index=0, name="source")
    area.hide()
    area.sig_count_changed.connect(lambda count: window.show_central_pane(area, count > 0))
    area.sig_raise_requested.connect(lambda: window.raise_central_pane(area))

    # Scripts: run and source through the console, the File and Code menus, unsaved work.
    editor = area.editor
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

    # Data: View() in R (or the Environment pane) opens a tab; R's restart marks it gone.
    data = DataViewService(session, window)
    data.sig_view_opened.connect(area.data.add_viewer)
    data.sig_problem.connect(window.show_problem)
    return area, data, completions
