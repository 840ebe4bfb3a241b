"""Console input history: Up/Down navigation, persisted across runs as one line per entry.

Entries are appended to the file as they are made, so a crash loses nothing; the file is
compacted to the limit when it grows past twice that.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


class History:
    """Entries oldest first, with a navigation cursor that keeps the user's draft."""

    def __init__(self, path: Path | None = None, limit: int = 1000) -> None:
        self._path = path
        self._limit = limit
        self._entries: list[str] = []
        self._cursor: int | None = None  # index into entries while navigating
        self._draft = ""
        if path is not None:
            self._load(path)

    @property
    def entries(self) -> list[str]:
        return list(self._entries)

    def add(self, line: str) -> None:
        """Record a submitted line (blank lines and immediate repeats are skipped)."""
        self._cursor = None
        if not line.strip() or "\n" in line or (self._entries and self._entries[-1] == line):
            return
        self._entries.append(line)
        if len(self._entries) > self._limit:
            del self._entries[: len(self._entries) - self._limit]
        self._append_to_file(line)

    def previous(self, current: str) -> str | None:
        """The entry before the cursor; the first call remembers ``current`` as the draft."""
        if not self._entries:
            return None
        if self._cursor is None:
            self._draft = current
            self._cursor = len(self._entries)
        if self._cursor == 0:
            return None
        self._cursor -= 1
        return self._entries[self._cursor]

    def next(self) -> str | None:
        """The entry after the cursor, then the draft; None when not navigating."""
        if self._cursor is None:
            return None
        self._cursor += 1
        if self._cursor >= len(self._entries):
            self._cursor = None
            return self._draft
        return self._entries[self._cursor]

    def _load(self, path: Path) -> None:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("could not read console history %s: %s", path, exc)
            return
        self._entries = [line for line in lines if line.strip()][-self._limit :]
        if len(lines) > 2 * self._limit:
            self._rewrite()

    def _append_to_file(self, line: str) -> None:
        if self._path is None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            log.warning("could not save console history to %s: %s", self._path, exc)

    def _rewrite(self) -> None:
        assert self._path is not None
        try:
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text("".join(e + "\n" for e in self._entries), encoding="utf-8")
            tmp.replace(self._path)
        except OSError as exc:
            log.warning("could not compact console history %s: %s", self._path, exc)
