"""The Files pane's questions to the user (tests replace QMessageBox's static calls)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm_permanent_delete(parent: QWidget, paths: list[Path]) -> bool:
    """Ask before deleting for good: said plainly, because no trash will hold these."""
    names = "\n".join(f"  {p.name}{'/' if p.is_dir() else ''}" for p in paths[:10])
    more = f"\n  … and {len(paths) - 10} more" if len(paths) > 10 else ""
    answer = QMessageBox.question(
        parent, "Delete Permanently",
        f"These can't be moved to the trash here, so they would be deleted permanently. "
        f"This can't be undone.\n\n{names}{more}\n\nDelete them permanently?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes
