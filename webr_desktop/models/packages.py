"""PackagesModel: installed packages grouped by library, with what R has loaded.

Two levels: a row per library (the persistent user library on the host first, then each
library R sees, webR's own system library last) and a row per package under it. The user
library is read on the host, where installs happen; every other library is what R's
``installed.packages()`` reports, so a package installed from the console into webR's memory
shows too. The Loaded column is a checkbox: attached (checked), loaded but not attached
(partly checked) or neither. Ticking it doesn't change the model: it asks for
``library()``/``detach()`` (``sig_attach_requested``) and the model follows R's answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from urllib.parse import urlsplit

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

Index = QModelIndex | QPersistentModelIndex

USER, SYSTEM, OTHER = "user", "system", "other"
HIDDEN = frozenset({"translations"})  # a pseudo-package webR's installed.packages() lists


@dataclass(frozen=True, slots=True)
class PackageRow:
    """One installed package as the pane shows it."""

    name: str
    version: str = ""
    title: str = ""
    source: str = ""
    library: str = ""  # the library folder (host path for the user library, R path otherwise)

    @property
    def short_source(self) -> str:
        """The source as the column shows it: a repository's host, a folder's name."""
        return short_source(self.source)


def short_source(source: str) -> str:
    if "://" in source:
        host = urlsplit(source).netloc
        return host or source
    if "/" in source or "\\" in source:
        return PurePath(source).name or source
    return source


@dataclass
class LibraryGroup:
    """One library and its packages, sorted by name."""

    kind: str  # USER, SYSTEM or OTHER
    path: str
    rows: list[PackageRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.kind == USER:
            return "User library"
        if self.kind == SYSTEM:
            return "System library (webR)"
        return f"Library {self.path}"

    @property
    def removable(self) -> bool:
        """Only the user library is the app's to change; webR's own is rebuilt every start."""
        return self.kind == USER


class PackagesModel(QAbstractItemModel):
    """Libraries (top level) and their packages (children); see the module docstring."""

    LOADED, NAME, VERSION, SOURCE, TITLE = range(5)
    HEADERS = ("Loaded", "Package", "Version", "Source", "Title")
    NAME_ROLE = Qt.ItemDataRole.UserRole + 1  # the package's name (any column of a package row)
    REMOVABLE_ROLE = Qt.ItemDataRole.UserRole + 2  # bool: a user-library package
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 3  # name and title, for the pane's filter

    sig_attach_requested = Signal(str, bool)  # (package, attach?) from the checkbox

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._groups: list[LibraryGroup] = []
        self._loaded: frozenset[str] = frozenset()
        self._attached: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ reading
    def groups(self) -> list[LibraryGroup]:
        return list(self._groups)

    def find(self, name: str, kind: str | None = None) -> QModelIndex:
        """The Name cell of ``name`` (in a library of ``kind``), or an invalid index."""
        for g, group in enumerate(self._groups):
            if kind is not None and group.kind != kind:
                continue
            for r, row in enumerate(group.rows):
                if row.name == name:
                    return self.index(r, self.NAME, self.index(g, 0))
        return QModelIndex()

    def package(self, index: Index) -> PackageRow | None:
        group = self._group_of(index)
        return group.rows[index.row()] if group is not None and index.row() < len(group.rows) else None

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def is_attached(self, name: str) -> bool:
        return name in self._attached

    # ------------------------------------------------------------------ Qt model API
    def _group_of(self, index: Index) -> LibraryGroup | None:
        """The group a package index belongs to (its internal id is the group's number + 1)."""
        if not index.isValid():
            return None
        g = index.internalId() - 1
        return self._groups[g] if 0 <= g < len(self._groups) else None

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        if parent.internalId() != 0:  # packages have no children
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() == 0 and parent.column() == 0 and parent.row() < len(self._groups):
            return len(self._groups[parent.row()].rows)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return len(self.HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.internalId() == 0:
            return base
        base |= Qt.ItemFlag.ItemNeverHasChildren
        if index.column() == self.LOADED:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if section == self.LOADED else self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == self.LOADED:
            return "Attached in R (library()); partly checked: loaded but not attached"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._group_data(index, role)
        row = self.package(index)
        if row is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (None, row.name, row.version, row.short_source, row.title)[col]
        if role == Qt.ItemDataRole.CheckStateRole and col == self.LOADED:
            if row.name in self._attached:
                return Qt.CheckState.Checked
            return Qt.CheckState.PartiallyChecked if row.name in self._loaded else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.LOADED:
                return ("attached" if row.name in self._attached
                        else "loaded, not attached" if row.name in self._loaded else "not loaded")
            return (None, row.name, row.version, row.source or None, row.title or None)[col]
        if role == self.NAME_ROLE:
            return row.name
        if role == self.REMOVABLE_ROLE:
            group = self._group_of(index)
            return group is not None and group.removable
        if role == self.FILTER_ROLE:
            return f"{row.name} {row.title}"
        return None

    def _group_data(self, index: Index, role: int):
        if index.row() >= len(self._groups):
            return None
        group = self._groups[index.row()]
        if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
            return f"{group.label} ({len(group.rows)})"
        if role == Qt.ItemDataRole.ToolTipRole:
            return group.path
        if role == self.FILTER_ROLE:
            return ""
        return None

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """The checkbox asks R; the check mark follows once R has answered (``set_loaded``)."""
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != self.LOADED:
            return False
        row = self.package(index)
        if row is None:
            return False
        state = Qt.CheckState(value) if isinstance(value, int) else value
        self.sig_attach_requested.emit(row.name, state == Qt.CheckState.Checked)
        return True

    # ------------------------------------------------------------------ changes
    def set_groups(self, groups: Sequence[LibraryGroup]) -> None:
        """Replace the libraries and packages (a refresh); hidden pseudo-packages dropped."""
        cleaned = [
            LibraryGroup(g.kind, g.path, sorted((r for r in g.rows if r.name not in HIDDEN),
                                                key=lambda r: (r.name.casefold(), r.name)))
            for g in groups
        ]
        self.beginResetModel()
        self._groups = cleaned
        self.endResetModel()

    def set_loaded(self, loaded: Iterable[str], attached: Iterable[str]) -> None:
        """What R has loaded and attached now: only the check marks change."""
        loaded, attached = frozenset(loaded), frozenset(attached)
        if (loaded, attached) == (self._loaded, self._attached):
            return
        self._loaded, self._attached = loaded, attached
        for g, group in enumerate(self._groups):
            if group.rows:
                parent = self.index(g, 0)
                self.dataChanged.emit(self.index(0, self.LOADED, parent),
                                      self.index(len(group.rows) - 1, self.LOADED, parent),
                                      [Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.ToolTipRole])


# ---------------------------------------------------------------------- R's answer
class PackageStateError(ValueError):
    """R's answer to .wd.pkg_state() did not have the expected shape."""


def _strings(value: object, *, keep_na: bool = False) -> list:
    """A character vector from R's JSON (length 1 arrives as a scalar, NA as None)."""
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        value = [] if value is None and not keep_na else [value]
    return [None if v is None else str(v) for v in value] if keep_na else [str(v) for v in value if v is not None]


@dataclass(frozen=True)
class RPackageState:
    """What R reported: its libraries' packages, its loaded and attached packages."""

    rows: list[PackageRow]
    loaded: list[str]
    attached: list[str]
    system: str
    user: str


def parse_state(value: object) -> RPackageState:
    """An RPackageState from ``.wd.pkg_state()``'s JSON."""
    if not isinstance(value, dict) or "name" not in value:
        raise PackageStateError(f"expected the package state list, got {type(value).__name__}")
    names = _strings(value.get("name"), keep_na=True)
    n = len(names)
    cols = {k: _strings(value.get(k), keep_na=True) for k in ("lib", "version", "title", "repository", "source",
                                                               "priority")}
    for key, column in cols.items():
        if len(column) != n:
            raise PackageStateError(f"{key} has {len(column)} values for {n} packages")
    system = _strings(value.get("system"))
    user = _strings(value.get("user"))
    rows = []
    for i, name in enumerate(names):
        if name is None:
            continue
        bundled = cols["priority"][i] == "base" or cols["lib"][i] == (system[0] if system else None)
        source = cols["source"][i] or cols["repository"][i] or ("webR" if bundled else "")
        rows.append(PackageRow(name, cols["version"][i] or "", " ".join((cols["title"][i] or "").split()),
                               source, cols["lib"][i] or ""))
    return RPackageState(rows, _strings(value.get("loaded")), _strings(value.get("attached")),
                         system[0] if system else "", user[0] if user else "")


def build_groups(user_library: str | None, user_rows: Sequence[PackageRow], state: RPackageState | None) -> list[LibraryGroup]:
    """The pane's libraries: the host's user library (authoritative for its packages), then the
    other libraries R sees, webR's system library last. R's view of the user library (R's
    ``R_LIBS_USER``) is the same packages, so R's rows for it are not shown twice."""
    groups: list[LibraryGroup] = []
    if user_library is not None:
        groups.append(LibraryGroup(USER, user_library, list(user_rows)))
    if state is None:
        return groups
    by_lib: dict[str, list[PackageRow]] = {}
    for row in state.rows:
        by_lib.setdefault(row.library, []).append(row)
    skip = {state.user} if user_library is not None else set()
    for lib in sorted(by_lib, key=lambda p: p == state.system):
        if lib in skip:
            continue
        kind = SYSTEM if lib == state.system else (USER if lib == state.user else OTHER)
        groups.append(LibraryGroup(kind, lib, by_lib[lib]))
    return groups
