"""The Files pane (lower right, first tab): the project folder, watched on disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webr_desktop.models.project import ProjectService
    from webr_desktop.runtime.session import RSession
    from webr_desktop.ui.files.files_pane import FilesPane
    from webr_desktop.ui.main_window import MainWindow


def add_files(window: MainWindow, session: RSession, project: ProjectService) -> FilesPane:
    """The project tree; it follows the project folder and R's changes to files."""
    from webr_desktop.ui.files.files_pane import FilesPane

    pane = FilesPane()
    window.add_side_pane("Files", pane)
    pane.set_root(project.folder)
    project.sig_folder_changed.connect(pane.set_root)
    project.sig_problem.connect(window.show_problem)
    pane.sig_set_working_dir.connect(project.set_working_dir)
    session.sig_command_finished.connect(pane.refresh_details)  # R may have rewritten a file
    return pane
