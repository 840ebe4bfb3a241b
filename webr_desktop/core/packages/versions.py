"""R package versions and dependency fields (Depends, Imports, LinkingTo, ...).

R versions are integers separated by ``.`` or ``-`` (``1.2-3`` equals ``1.2.3``), compared
component by component, a shorter version being smaller when it is a prefix (as R's
``package_version`` does). ``R`` itself and the packages webR bundles are never installed.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from webr_desktop.core.packages.errors import PackageError

Version = tuple[int, ...]

BASE_PACKAGES = frozenset({
    "base", "compiler", "datasets", "grDevices", "graphics", "grid", "methods", "parallel",
    "splines", "stats", "stats4", "tcltk", "tools", "utils", "webr", "translations",
})
DEFAULT_FIELDS = ("Depends", "Imports", "LinkingTo")
ALL_FIELDS = ("Depends", "Imports", "LinkingTo", "Suggests", "Enhances")
_VERSION = re.compile(r"\d+([.-]\d+)*")
_SEPARATOR = re.compile(r"[.-]")
_ENTRY = re.compile(r"^([A-Za-z][A-Za-z0-9.]*)\s*(?:\(\s*([<>=!]=?)\s*([^)\s]+)\s*\))?$")
_OPS: dict[str, Callable[[Version, Version], bool]] = {
    ">=": operator.ge, ">": operator.gt, "==": operator.eq,
    "<=": operator.le, "<": operator.lt, "!=": operator.ne,
}


_PACKAGE_NAME = re.compile(r"^[A-Za-z]([A-Za-z0-9.]*[A-Za-z0-9])?$")


def valid_name(name: object) -> bool:
    """R's rule for package names (letters, digits, dots; a letter first; no dot last): a
    name from an index or archive becomes a folder name in the library, so this is checked."""
    return isinstance(name, str) and len(name) <= 100 and _PACKAGE_NAME.match(name) is not None


class VersionError(PackageError):
    """A version string or a dependency field that R would refuse too."""


@functools.lru_cache(maxsize=65536)
def parse_version(text: str) -> Version:
    """``"1.2-3"`` → ``(1, 2, 3)``; raises VersionError for anything R would not accept.
    Cached: a 20,000-entry index repeats versions a lot, and every load parses them all."""
    text = str(text).strip()
    if not _VERSION.fullmatch(text):
        raise VersionError(f"invalid version {text!r}")
    return tuple(int(part) for part in _SEPARATOR.split(text))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is older than, equal to or newer than ``b``."""
    va, vb = parse_version(a), parse_version(b)
    return (va > vb) - (va < vb)


@dataclass(frozen=True)
class Constraint:
    """``>= 1.1`` and friends; ``op`` is one of ``>=, >, ==, <=, <, !=``."""

    op: str
    version: str

    def allows(self, version: str) -> bool:
        return _OPS[self.op](parse_version(version), parse_version(self.version))

    def __str__(self) -> str:
        return f"{self.op} {self.version}"


@dataclass(frozen=True)
class Dependency:
    """One entry of a dependency field: a name and at most one version constraint."""

    name: str
    constraint: Constraint | None = None

    def allows(self, version: str) -> bool:
        return self.constraint is None or self.constraint.allows(version)

    def __str__(self) -> str:
        return self.name if self.constraint is None else f"{self.name} ({self.constraint})"


def parse_dependencies(field: str | None) -> list[Dependency]:
    """Entries of a field like ``"R (>= 3.5), utils,\\n  lambda.r (>= 1.1.0)"`` in order."""
    deps: list[Dependency] = []
    for raw in (field or "").replace("\n", " ").split(","):
        entry = " ".join(raw.split())
        if not entry:
            continue
        match = _ENTRY.match(entry)
        if match is None:
            raise VersionError(f"can't read the dependency {entry!r}")
        name, op, version = match.groups()
        if op is not None:
            if op not in _OPS:
                raise VersionError(f"unknown operator {op!r} in {entry!r}")
            parse_version(version)
            deps.append(Dependency(name, Constraint(op, version)))
        else:
            deps.append(Dependency(name))
    return deps


def dependency_fields(dependencies: object, *, top_level: bool) -> tuple[str, ...]:
    """Fields followed for ``install.packages(dependencies=)``: NA/None → Depends, Imports,
    LinkingTo; TRUE → those plus Suggests for the named packages only; FALSE → none;
    a list of field names → those (``"most"``/``"all"`` as in R)."""
    if dependencies is None or dependencies == "NA":
        return DEFAULT_FIELDS
    if dependencies is True:
        return (*DEFAULT_FIELDS, "Suggests") if top_level else DEFAULT_FIELDS
    if dependencies is False:
        return ()
    if isinstance(dependencies, str):
        dependencies = [dependencies]
    if isinstance(dependencies, Iterable):
        names = [str(d) for d in dependencies]
        if names == ["all"]:
            return ALL_FIELDS
        if names == ["most"]:
            return ALL_FIELDS[:4]
        unknown = [n for n in names if n not in ALL_FIELDS]
        if unknown:
            raise VersionError(f"unknown dependency type {unknown[0]!r}: use {', '.join(ALL_FIELDS)}")
        return tuple(names)
    raise VersionError(f"dependencies must be NA, TRUE, FALSE or field names, not {dependencies!r}")


def requirements(record: Mapping[str, str], fields: Iterable[str]) -> tuple[list[Dependency], list[Dependency]]:
    """(packages to install, constraints on R) from ``fields`` of a DESCRIPTION/PACKAGES record;
    base packages are dropped (webR has them), ``R`` goes to the second list."""
    packages: list[Dependency] = []
    on_r: list[Dependency] = []
    for field in fields:
        for dep in parse_dependencies(record.get(field)):
            if dep.name == "R":
                on_r.append(dep)
            elif dep.name not in BASE_PACKAGES:
                packages.append(dep)
    return packages, on_r


def built_r_version(built: str | None) -> str | None:
    """The R version from a ``Built: R 4.1.1; ; date; unix`` field, or None if unreadable."""
    if not built:
        return None
    match = re.match(r"\s*R\s+(\d+(?:\.\d+)*)", built)
    return match.group(1) if match else None
