"""File ▸ Open Folder… and Open Recent; the window title names the project folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webr_desktop.core.recent_folders import RecentFolders
    from webr_desktop.models.project import ProjectService
    from webr_desktop.ui.files.folder_menu import FolderMenu
    from webr_desktop.ui.main_window import MainWindow


def add_folder_menu(window: MainWindow, project: ProjectService, recent: RecentFolders) -> FolderMenu:
    """The folder commands in the File menu, remembering each project folder opened."""
    from webr_desktop.ui.files.folder_menu import FolderMenu

    menu = FolderMenu(recent, window)
    window.add_file_actions([menu.open_action, menu.recent_menu])
    menu.sig_folder_chosen.connect(project.open_folder)

    def _on_folder_changed(folder: Path) -> None:
        recent.add(folder)
        menu.rebuild()
        window.setWindowTitle(f"{folder.name} — webR Desktop")

    project.sig_folder_changed.connect(_on_folder_changed)
    if project.folder is not None:
        _on_folder_changed(project.folder)
    return menu
