"""webR's system library as R listed it, kept for the next R starts and app runs.

R lists the system library (``.Library``) by opening every package's files, and webR then
downloads and unpacks the packages it mounts lazily (translations, parallel, tcltk: ~3.5 MB):
0.3 s quiet, ~1 s under load, at every R start, before a user's first command could run. The
library is part of the pinned runtime, so its list is kept by webR and R version, in memory
and in a JSON file in the user cache, and R is asked only about the other libraries.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from webr_desktop.core.atomic_file import write_atomic
from webr_desktop.models.packages import PackageRow

log = logging.getLogger(__name__)
_FIELDS = ("name", "version", "title", "source", "library")


class SystemLibrary:
    """The system library's rows by key (webR and R version), in memory and in ``path``."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._key = ""
        self._rows: list[PackageRow] = []

    def rows(self, key: str) -> list[PackageRow] | None:
        """The rows for ``key``, or None if R must list the system library."""
        if not key:
            return None
        if key != self._key and self._path is not None:
            self._load(key)
        return list(self._rows) if key == self._key and self._rows else None

    def remember(self, key: str, library: str, rows: list[PackageRow]) -> None:
        if not rows:
            return
        self._key, self._rows = key, list(rows)
        if self._path is None:
            return
        data = {"key": key, "library": library, "rows": [asdict(r) for r in rows]}
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self._path, json.dumps(data))
        except OSError as exc:
            log.debug("system library list not saved: %s", exc)

    def _load(self, key: str) -> None:
        assert self._path is not None
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            if data.get("key") != key:
                return
            rows = [PackageRow(**{f: str(r[f]) for f in _FIELDS}) for r in data["rows"]]
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.debug("system library list not read: %s", exc)
            return
        if rows and all(r.name and r.library == data.get("library") for r in rows):
            self._key, self._rows = key, rows
