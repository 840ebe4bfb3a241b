"""Packages, high level: the one object the server route, the Packages pane and the CLI use.

It loads the sources' indexes (refreshing them at most every ``max_age`` seconds), searches
them, plans installs over all of them, and installs a plan in two phases: every archive is
obtained, unpacked and checked in staging first, and only when all passed are they renamed
into the library, so a plan that fails anywhere leaves the library unchanged. Source packages
are built inside webR: for those the service stages the checked source tree and commits the
tree R built (``stage_source`` / ``commit_stage``).
"""

from __future__ import annotations

import shutil
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from webr_desktop.core import paths
from webr_desktop.core.packages import archive, download, resolver, scan, seeding, sources, versions
from webr_desktop.core.packages.cache import PackageCache
from webr_desktop.core.packages.errors import NotFoundError, PackageError
from webr_desktop.core.packages.library import InstalledPackage, Library
from webr_desktop.core.packages.model import BINARY, SOURCE, Candidate, IndexStatus
from webr_desktop.core.packages.resolver import PlanItem
from webr_desktop.core.packages.search import SearchIndex
from webr_desktop.core.packages.staging import StageStore


@dataclass(frozen=True)
class Progress:
    """One step of an install: phase is queued, download, unpack, install, done or error."""

    package: str
    phase: str
    done: int = 0
    total: int | None = None
    message: str = ""

    def as_json(self) -> dict[str, object]:
        return {"package": self.package, "phase": self.phase, "done": self.done,
                "total": self.total, "message": self.message}


ProgressCallback = Callable[[Progress], None]


class PackageService:
    """Sources + cache + library; every public method is safe to call from any thread."""

    def __init__(self, library: Library, source_list: Sequence[object], cache: PackageCache, *,
                 r_version: str = resolver.R_VERSION, max_age: float = 600.0,
                 opener: urllib.request.OpenerDirector | None = None) -> None:
        self.library = library
        self.cache = cache
        # How every URL is opened (indexes, sizes, archives). The app passes one that applies
        # the Network switch and destination policy at each request (server/package_http.py).
        self.opener = opener or urllib.request.build_opener()
        for source in source_list:
            if isinstance(source, sources.RepoSource):
                source.opener = self.opener
        self._sources = [*source_list, cache]
        self.r_version = r_version
        self._max_age = max_age
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._statuses: list[IndexStatus] = []
        self._by_name: dict[str, list[Candidate]] = {}
        self._search = SearchIndex([])
        self._files: dict[str, list[Candidate]] = {}  # archives named directly (repos = NULL)
        self.stages = StageStore(library)

    @classmethod
    def from_config(cls, *, config_file: Path | None = None, library_root: Path | None = None,
                    cache_root: Path | None = None, repos: Sequence[str] | None = None,
                    webr_version: str | None = None, r_version: str = resolver.R_VERSION) -> PackageService:
        """The service over the user's saved sources, or over ``repos`` (URLs/folders) instead;
        the versions go into the library's stamp (and R's into ``R (>= x)`` checks)."""
        cache_root = Path(cache_root or paths.package_cache_dir())
        if repos is not None:
            configs = [sources.SourceConfig("repo" if r.startswith(("http://", "https://")) else "local", r)
                       for r in repos]
        else:
            configs = sources.load_config(Path(config_file or paths.package_sources_file()))
        opened = [open_source(c, cache_root) for c in configs if c.enabled]
        library = Library(Path(library_root or paths.package_library_dir()), webr_version=webr_version,
                          r_version=r_version)
        return cls(library, opened, PackageCache(cache_root), r_version=r_version)

    def use_opener(self, opener: urllib.request.OpenerDirector) -> None:
        """Open every URL through ``opener`` from now on (the app's: under its Network switch)."""
        with self._lock:
            self.opener = opener
            for source in self._sources:
                if isinstance(source, sources.RepoSource):
                    source.opener = opener

    def set_sources(self, configs: Sequence[sources.SourceConfig]) -> None:
        """Use these sources from now on (Packages ▸ Repositories… saved a new order); the
        indexes load again on next use. The cache stays last."""
        opened = [open_source(c, self.cache.root, self.opener) for c in configs if c.enabled]
        with self._lock:
            self._sources = [*opened, self.cache]
            self._loaded_at = None

    def with_repos(self, repos: Sequence[str]) -> PackageService:
        """A service over other repositories (``install.packages(repos = ...)``) that shares
        this one's library (and so its install queue) and cache."""
        opened = [sources.RepoSource(url, self.cache.root / "indexes", opener=self.opener) for url in repos]
        return PackageService(self.library, opened, self.cache, r_version=self.r_version, max_age=self._max_age,
                              opener=self.opener)

    # ---- indexes ---------------------------------------------------------------------------
    def refresh(self, *, network: bool = True) -> list[IndexStatus]:
        """Load every source's index (``network``: ask repositories for a newer one)."""
        statuses, found = [], []
        for source in self._sources:
            status, candidates = source.load(refresh=network)  # type: ignore[attr-defined]
            statuses.append(status)
            found.extend(candidates)
        by_name: dict[str, list[Candidate]] = {}
        for candidate in [*found, *(c for cs in self._files.values() for c in cs)]:
            if _valid(candidate):
                by_name.setdefault(candidate.name, []).append(candidate)
        order = self.order
        newest = [resolver.newest_first(cs, order)[0] for cs in by_name.values()]
        with self._lock:
            self._statuses, self._by_name = statuses, by_name
            self._search = SearchIndex(newest)
            self._loaded_at = time.monotonic()
        return statuses

    def _ensure_loaded(self) -> None:
        with self._lock:
            fresh = self._loaded_at is not None and time.monotonic() - self._loaded_at < self._max_age
        if not fresh:
            self.refresh()

    @property
    def statuses(self) -> list[IndexStatus]:
        self._ensure_loaded()
        return list(self._statuses)

    @property
    def order(self) -> list[str]:
        return [*self._files, *(s.label for s in self._sources)]  # type: ignore[attr-defined]

    def searched(self) -> str:
        """The sources, each with what went wrong loading it, for not-found messages."""
        with self._lock:
            statuses = list(self._statuses)
        parts = []
        for status in statuses:
            if not status.ok:
                parts.append(f"{status.source} ({status.error or 'no index'})")
            elif status.stale:
                parts.append(f"{status.source} ({status.error}; its saved index was used)")
            else:
                parts.append(status.source)
        return ", ".join(parts) or "no sources configured"

    def available(self, query: str = "", *, limit: int | None = None) -> list[Candidate]:
        """The newest version of each package whose name or title matches every word of
        ``query`` (all packages when empty): exact name first, then name prefix, name, title."""
        self._ensure_loaded()
        return self._search.search(query, limit=limit)

    def candidates(self, name: str) -> list[Candidate]:
        self._ensure_loaded()
        return resolver.newest_first(self._by_name.get(name, []), self.order)

    # ---- plans -----------------------------------------------------------------------------
    def plan(self, names: Sequence[str], *, dependencies: object = None, sizes: bool = True,
             installed: dict[str, str] | None = None) -> list[PlanItem]:
        """What installing ``names`` would do, or PackageError naming what's missing."""
        self._ensure_loaded()
        have = self.library.versions() if installed is None else installed
        plan = resolver.resolve(names, self._by_name, have, order=self.order, searched=self.searched(),
                                dependencies=dependencies, r_version=self.r_version)
        return self._with_sizes(plan) if sizes else plan

    def plan_files(self, files: Sequence[Path], *, dependencies: object = None) -> list[PlanItem]:
        """``install.packages("x_1.0.tgz", repos = NULL)``: these archives, plus whatever
        dependencies they need from the sources. The files stay offered (source label = their
        path) so a client can then install the plan item by item."""
        pinned: dict[str, list[Candidate]] = {}
        for path in files:
            record = scan.describe(Path(path))
            label = str(path)
            self._files[label] = [Candidate(record["Package"], record["Version"], label, record["Kind"],
                                            label, record, md5=record["MD5sum"], size=int(record["Size"]))]
            pinned[record["Package"]] = self._files[label]
        self.refresh(network=False)
        plan = resolver.resolve(list(pinned), {**self._by_name, **pinned}, self.library.versions(),
                                order=self.order, searched=self.searched(),
                                dependencies=dependencies, r_version=self.r_version)
        return self._with_sizes(plan)

    def _with_sizes(self, plan: list[PlanItem]) -> list[PlanItem]:
        def sized(item: PlanItem) -> PlanItem:
            c = item.candidate
            if c.size is not None:
                return item
            cached = self.cache.find(c)
            size = cached.stat().st_size if cached else download.size_of(c.location, self.opener) if c.is_remote else None
            return replace(item, candidate=replace(c, size=size))
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(sized, plan))

    # ---- installs --------------------------------------------------------------------------
    def install(self, plan: Sequence[PlanItem], progress: ProgressCallback | None = None) -> list[InstalledPackage]:
        """Install the binary items of ``plan`` all or nothing; source items raise (see
        ``stage_source``). Waits its turn behind another install (phase "queued")."""
        report = progress or (lambda p: None)
        built = [i for i in plan if i.kind == SOURCE]
        if built:
            raise PackageError(f"'{built[0].name}' is a source package: it is built inside webR, so install it "
                               f"from R (install.packages() in the app's console)")
        first = plan[0].name if plan else ""
        with self.library.locked(lambda: report(Progress(first, "queued"))):
            staged: list[Path] = []
            prepared = []
            current = first
            try:
                for item in plan:
                    current = item.name
                    path = self._obtain(item, report)
                    report(Progress(item.name, "unpack"))
                    staged.append(self.library.staging())
                    folder = archive.unpack(path, staged[-1], name=item.name)
                    prepared.append(self.library.prepare(folder, name=item.name, version=item.version,
                                                         source=_origin(item.candidate)))
                for item in plan:
                    report(Progress(item.name, "install"))
                done = self.library.commit_all(prepared)
                for item in plan:
                    report(Progress(item.name, "done"))
                return done
            except PackageError as exc:
                report(Progress(current, "error", message=str(exc)))
                raise
            finally:
                for staging in staged:
                    shutil.rmtree(staging, ignore_errors=True)

    def _obtain(self, item: PlanItem, report: ProgressCallback) -> Path:
        def on_bytes(done: int, total: int | None) -> None:
            report(Progress(item.name, "download", done, total))
        path, _cached = download.obtain(item.candidate, self.cache, on_bytes, opener=self.opener)
        return path

    def install_names(self, names: Sequence[str], *, dependencies: object = None,
                      progress: ProgressCallback | None = None) -> list[InstalledPackage]:
        return self.install(self.plan(names, dependencies=dependencies), progress)

    def find_item(self, name: str, version: str, source: str) -> PlanItem:
        """The candidate a client names (R asks for one plan item at a time): only what a
        configured source offers can be installed, never a path or URL the client made up."""
        for candidate in self.candidates(name):
            if candidate.version == version and candidate.source == source:
                return PlanItem(candidate)
        raise NotFoundError(f"package '{name}' {version} is not offered by {source or 'any source'}")

    def stage_source(self, item: PlanItem, progress: ProgressCallback | None = None) -> dict[str, str]:
        """Fetch and check a pure-R source package and unpack it for R to build; see StageStore."""
        path = self._obtain(item, progress or (lambda p: None))
        return self.stages.stage(path, item.name, item.version, _origin(item.candidate))

    def commit_stage(self, stage_id: str) -> InstalledPackage:
        return self.stages.commit(stage_id)

    def source_archive(self, item: PlanItem, progress: ProgressCallback | None = None) -> Path:
        """The verified archive of a pure-R source package, for R to build in its own memory
        (the other way to build: no host folder involved). Refuses one with ``src/``."""
        if item.kind != SOURCE:
            raise PackageError(f"'{item.name}' {item.version} is a binary package, not a source package")
        path = self._obtain(item, progress or (lambda p: None))
        if scan.describe(path).get("NeedsCompilation") == "yes":
            raise archive.CompiledCodeError(
                f"package '{item.name}' has compiled code (src/), which can't be built inside webR: "
                f"{archive.WEBR_BINARY_HINT}")
        return path

    def install_built(self, item: PlanItem, built: Path, progress: ProgressCallback | None = None) -> InstalledPackage:
        """Install the binary archive R built from the source package ``item`` (checked like
        any downloaded binary: members, name, version, ``Built:``, compiled code)."""
        if item.kind != SOURCE:
            raise PackageError(f"'{item.name}' {item.version} is not a source package")
        report = progress or (lambda p: None)
        with self.library.locked(lambda: report(Progress(item.name, "queued"))):
            report(Progress(item.name, "install"))
            done = self.library.install_archive(built, name=item.name, version=item.version,
                                                source=_origin(item.candidate), kind=BINARY)
        report(Progress(item.name, "done"))
        return done

    def remove(self, names: Sequence[str]) -> list[str]:
        """Remove installed packages; returns those that were there."""
        with self.library.locked():
            return [name for name in names if self.library.remove(name)]

    def installed(self) -> list[InstalledPackage]:
        return self.library.installed()

    def old_packages(self) -> list[dict[str, object]]:
        """Installed packages a source has a newer version of (``old.packages()``)."""
        self._ensure_loaded()
        out = []
        for pkg in self.library.installed():
            options = [c for c in self.candidates(pkg.name) if not (c.kind == SOURCE and c.needs_compilation)]
            try:
                newer = [c for c in options if versions.compare(c.version, pkg.version) > 0]
            except versions.VersionError:
                continue
            if newer:
                out.append({"package": pkg.name, "installed": pkg.version, "available": newer[0].version,
                            "source": newer[0].source, "kind": newer[0].kind})
        return out

    def seed(self, names: Sequence[str], to_dir: Path, *, dependencies: object = None,
             progress: ProgressCallback | None = None) -> list[Path]:
        """Copy ``names`` and all their dependencies into the local repository ``to_dir``."""
        plan = self.plan(names, dependencies=dependencies, installed={}, sizes=False)
        report = progress or (lambda p: None)
        return seeding.write_repository(Path(to_dir), [(i.candidate, self._obtain(i, report)) for i in plan])


def _valid(candidate: Candidate) -> bool:
    """An index entry with an unreadable version is not offered (R would skip it too)."""
    try:
        versions.parse_version(candidate.version)
        return True
    except versions.VersionError:
        return False


def _origin(candidate: Candidate) -> str:
    return candidate.record.get("Origin", candidate.source) if candidate.source == "cache" else candidate.source


def open_source(config: sources.SourceConfig, cache_root: Path,
                opener: urllib.request.OpenerDirector | None = None) -> object:
    if config.kind == "repo":
        return sources.RepoSource(config.location, cache_root / "indexes", opener=opener)
    return sources.LocalSource(Path(config.location), cache_root / "scans")
