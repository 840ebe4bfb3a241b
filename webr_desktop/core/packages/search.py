"""Search the newest version of every available package by name and title, fast enough to
run on every keystroke of the Install dialog (webR's repository has ~20,000 entries)."""

from __future__ import annotations

from collections.abc import Sequence

from webr_desktop.core.packages.model import Candidate


class SearchIndex:
    """Lower-cased names and titles prepared once per index load; a search is one pass."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        ordered = sorted(candidates, key=lambda c: c.name.lower())
        self._items = ordered
        self._names = [c.name.lower() for c in ordered]
        self._texts = [f"{c.name}\n{c.title}".lower() for c in ordered]

    def __len__(self) -> int:
        return len(self._items)

    def search(self, query: str, *, limit: int | None = None) -> list[Candidate]:
        """Entries whose name or title holds every word of ``query``, best first: the exact
        name, then names that start with the query, names that contain it, then titles."""
        terms = query.lower().split()
        if not terms:
            return self._items[:limit] if limit is not None else list(self._items)
        first = terms[0]
        if len(terms) == 1:
            hits = [i for i, text in enumerate(self._texts) if first in text]
        else:
            hits = [i for i, text in enumerate(self._texts) if all(t in text for t in terms)]
        whole = " ".join(terms)
        names = self._names

        def rank(i: int) -> int:
            name = names[i]
            if name == whole:
                return 0
            if name.startswith(first):
                return 1
            return 2 if first in name else 3
        hits.sort(key=rank)  # stable: alphabetical within a rank
        if limit is not None:
            hits = hits[:limit]
        return [self._items[i] for i in hits]
