"""Dependency resolution over every source, before anything is downloaded or touched.

Semantics follow ``install.packages``: the named packages are (re)installed at the newest
version any source has; their dependencies (Depends, Imports, LinkingTo by default) are added
when missing or when the installed version doesn't meet a constraint. Constraints from all
dependents accumulate and the newest candidate meeting all of them wins; on a tie a binary
beats a source package, then the earlier source in the user's order wins. ``R (>= x)`` is checked
against webR's R. Anything unsatisfiable raises before a plan exists, naming the missing piece.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from webr_desktop.core.packages import versions
from webr_desktop.core.packages.errors import CompiledCodeError, NotFoundError, UnsatisfiableError, WEBR_BINARY_HINT
from webr_desktop.core.packages.model import BINARY, SOURCE, Candidate
from webr_desktop.core.packages.versions import Dependency

R_VERSION = "4.6.0"


@dataclass(frozen=True)
class PlanItem:
    """One package to install, in install order (dependencies first)."""

    candidate: Candidate
    required_by: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.candidate.name

    @property
    def version(self) -> str:
        return self.candidate.version

    @property
    def source(self) -> str:
        return self.candidate.source

    @property
    def kind(self) -> str:
        return self.candidate.kind

    @property
    def size(self) -> int | None:
        return self.candidate.size

    def as_json(self) -> dict[str, object]:
        return {**self.candidate.as_json(), "required_by": list(self.required_by)}


@dataclass
class _State:
    constraints: dict[str, list[tuple[Dependency, str]]] = field(default_factory=dict)
    chosen: dict[str, Candidate] = field(default_factory=dict)
    required_by: dict[str, list[str]] = field(default_factory=dict)


def newest_first(candidates: Iterable[Candidate], order: Sequence[str]) -> list[Candidate]:
    """Newest version first; then binaries (no build needed); then the earlier source in ``order``."""
    candidates = list(candidates)
    if len(candidates) < 2:
        return candidates
    rank = {label: i for i, label in enumerate(order)}
    ties = sorted(candidates, key=lambda c: (c.kind != BINARY, rank.get(c.source, len(rank))))
    return sorted(ties, key=lambda c: versions.parse_version(c.version), reverse=True)  # stable


def resolve(
    names: Sequence[str],
    available: Mapping[str, list[Candidate]],
    installed: Mapping[str, str],
    *,
    order: Sequence[str] = (),
    dependencies: object = None,
    r_version: str = R_VERSION,
    searched: str | None = None,
) -> list[PlanItem]:
    """The install plan for ``names``; see the module docstring. ``available`` maps a name to
    its candidates from all sources, ``installed`` a name to the version in the library;
    ``searched`` describes the sources for a not-found message (default: ``order``)."""
    state = _State()
    searched = searched or ", ".join(order) or "no sources configured"
    queue: list[str] = []
    for name in dict.fromkeys(names):
        if name in versions.BASE_PACKAGES:
            continue
        state.constraints.setdefault(name, [])
        queue.append(name)
    top = set(queue)
    while queue:
        name = queue.pop(0)
        options = [c for c in available.get(name, []) if _usable(c, state.constraints[name])]
        if not options:
            raise _missing(name, available.get(name, []), state.constraints[name], searched)
        pick = _pick(name, newest_first(options, order), r_version)
        if state.chosen.get(name) is pick:
            continue
        state.chosen[name] = pick
        fields = versions.dependency_fields(dependencies, top_level=name in top)
        deps, _ = versions.requirements(pick.record, fields)
        for dep in deps:
            state.constraints.setdefault(dep.name, []).append((dep, name))
            state.required_by.setdefault(dep.name, []).append(name)
            have = installed.get(dep.name)
            satisfied = have is not None and all(d.allows(have) for d, _ in state.constraints[dep.name])
            chosen = state.chosen.get(dep.name)
            if chosen is not None and dep.allows(chosen.version):
                continue
            if dep.name not in state.chosen and satisfied:
                continue
            queue.append(dep.name)
    return _ordered(state)


def _usable(candidate: Candidate, constraints: list[tuple[Dependency, str]]) -> bool:
    try:
        return all(dep.allows(candidate.version) for dep, _ in constraints)
    except versions.VersionError:
        return False


def _pick(name: str, options: list[Candidate], r_version: str) -> Candidate:
    """The first option that needs no newer R and no compiler, or a clear error why none."""
    for candidate in options:
        _, on_r = versions.requirements(candidate.record, ("Depends",))
        if all(dep.allows(r_version) for dep in on_r) and not (candidate.kind == SOURCE and candidate.needs_compilation):
            return candidate
    best = options[0]
    _, on_r = versions.requirements(best.record, ("Depends",))
    if not all(dep.allows(r_version) for dep in on_r):
        need = ", ".join(str(d) for d in on_r)
        raise UnsatisfiableError(f"package '{name}' {best.version} needs {need}, but webR has R {r_version}")
    raise CompiledCodeError(
        f"package '{name}' {best.version} from {best.source} is a source package with compiled code "
        f"(src/), which can't be built inside webR: {WEBR_BINARY_HINT}"
    )


def _missing(name: str, had: list[Candidate], constraints: list[tuple[Dependency, str]], searched: str) -> Exception:
    wanted = [f"{dep} (needed by '{by}')" for dep, by in constraints if dep.constraint is not None]
    if not had:
        who = sorted({by for _, by in constraints})
        needed = f", needed by {', '.join(repr(w) for w in who)}," if who else ""
        return NotFoundError(f"package '{name}'{needed} is not available from: {searched}")
    offered = ", ".join(f"{c.version} ({c.source})" for c in had)
    return UnsatisfiableError(f"no version of '{name}' satisfies {'; '.join(wanted)}: the sources have {offered}")


def _ordered(state: _State) -> list[PlanItem]:
    """Dependencies before their dependents (a depth-first walk; cycles are broken)."""
    out: list[PlanItem] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name in visiting or name not in state.chosen:
            return
        visiting.add(name)
        pick = state.chosen[name]
        deps, _ = versions.requirements(pick.record, versions.ALL_FIELDS)
        for dep in deps:
            visit(dep.name)
        visiting.discard(name)
        done.add(name)
        out.append(PlanItem(pick, tuple(dict.fromkeys(state.required_by.get(name, [])))))
    for name in state.chosen:
        visit(name)
    return out
