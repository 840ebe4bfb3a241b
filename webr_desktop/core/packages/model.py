"""Plain data shared by the package modules: what a source offers and how its index fared."""

from __future__ import annotations

from dataclasses import dataclass, field

BINARY, SOURCE = "binary", "source"


@dataclass(frozen=True, eq=False)
class Candidate:
    """One version of one package at one source, with its index record.

    ``location`` is an http(s) URL or a host file path; ``md5`` comes from the index
    (``MD5sum``) and is checked after every download; ``size`` is None until known.
    """

    name: str
    version: str
    source: str
    kind: str
    location: str
    record: dict[str, str] = field(repr=False)
    md5: str | None = None
    size: int | None = None

    @property
    def title(self) -> str:
        return " ".join(self.record.get("Title", "").split())

    @property
    def needs_compilation(self) -> bool:
        return self.record.get("NeedsCompilation", "no").strip().lower() == "yes"

    @property
    def is_remote(self) -> bool:
        return self.location.startswith(("http://", "https://"))

    def as_json(self) -> dict[str, object]:
        return {
            "package": self.name, "version": self.version, "source": self.source,
            "kind": self.kind, "size": self.size, "title": self.title,
        }


@dataclass(frozen=True)
class IndexStatus:
    """How loading one source's index went: ``stale`` means the saved copy was used because
    the source couldn't be reached (``error`` says why); no index at all leaves ``ok`` False."""

    source: str
    ok: bool
    stale: bool = False
    error: str | None = None
    fetched_at: float | None = None
    count: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source, "ok": self.ok, "stale": self.stale, "error": self.error,
            "fetched_at": self.fetched_at, "count": self.count,
        }
