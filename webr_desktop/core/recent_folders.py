"""The folders the user opened lately, for File ▸ Open Recent.

Plain JSON in the user's data folder, rewritten atomically (temp file + ``os.replace``) so a
crash mid-write leaves the old list, never half a file. Every change re-reads the file first,
so two app windows open at once merge their lists instead of overwriting each other. A
corrupt or foreign file is treated as empty: a recent-folders list is never worth an error.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from webr_desktop.core.atomic_file import write_atomic

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


class RecentFolders:
    """Most recent first, at most ``limit`` entries, persisted at ``path``."""

    def __init__(self, path: Path, limit: int = 10) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.path = Path(path)
        self.limit = limit

    # ------------------------------------------------------------------ queries
    def items(self) -> list[Path]:
        """The remembered folders that exist now, most recent first.

        Missing folders stay in the file (an unplugged drive may come back) but are not shown.
        """
        return [folder for folder in self._load() if folder.is_dir()]

    # ------------------------------------------------------------------ changes
    def add(self, folder: Path) -> None:
        """Put ``folder`` first (moving it if it was already there) and drop the oldest."""
        folder = _normal(folder)
        folders = [f for f in self._load() if f != folder]
        self._store([folder, *folders][: self.limit])

    def remove(self, folder: Path) -> None:
        """Forget ``folder`` (no error if it was not remembered)."""
        folder = _normal(folder)
        folders = self._load()
        if folder in folders:
            self._store([f for f in folders if f != folder])

    def clear(self) -> None:
        """Forget every folder."""
        self._store([])

    # ------------------------------------------------------------------ storage
    def _load(self) -> list[Path]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:  # unreadable or not JSON: start afresh
            log.warning("ignoring unreadable recent folders file %s: %s", self.path, exc)
            return []
        entries = raw.get("folders") if isinstance(raw, dict) else None
        if not isinstance(entries, list):
            return []
        folders: list[Path] = []
        for entry in entries:  # keep only well-formed, absolute, distinct entries
            if isinstance(entry, str) and entry and "\0" not in entry and os.path.isabs(entry):
                folder = Path(entry)
                if folder not in folders:
                    folders.append(folder)
        return folders[: self.limit]

    def _store(self, folders: list[Path]) -> None:
        data = {"version": FORMAT_VERSION, "folders": [str(f) for f in folders]}
        try:
            write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1))
        except OSError as exc:  # a read-only home must not break opening a folder
            log.warning("could not save recent folders to %s: %s", self.path, exc)


def _normal(folder: Path) -> Path:
    """One spelling per folder: absolute, symlinks and ``..`` resolved."""
    return Path(folder).expanduser().resolve()

