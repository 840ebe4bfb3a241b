"""Unpack a package archive into a staging folder, checking every member, then the package.

Archives come from the network or from anyone's USB stick, so nothing in one is trusted: each
member must be a plain file or folder under the package's own top folder (no absolute paths,
no ``..``, no links, devices or fifos), sizes are capped against archive bombs, and only then
is the package itself checked: DESCRIPTION name and version as planned, built by R ≥ 4.0, and
compiled code only as WebAssembly (webR's loader refuses anything else with "need to see wasm
magic number"). Files are written by us with plain permissions; tar's modes and owners are
not applied.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from webr_desktop.core.packages import dcf, versions
from webr_desktop.core.packages.errors import (
    WEBR_BINARY_HINT,
    ArchiveError,
    CompiledCodeError,
    DiskFullError,
)
from webr_desktop.core.packages.model import BINARY, SOURCE

WASM_MAGIC = b"\0asm"
MIN_BUILT = "4.0.0"
NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


@dataclass(frozen=True)
class Limits:
    """Caps against archive bombs: a package bigger than these isn't a package anyone ships."""

    max_file: int = 512 * 1024 * 1024
    max_total: int = 2 * 1024 * 1024 * 1024
    max_members: int = 100_000


def _member_path(member: tarfile.TarInfo, top: str | None, label: str) -> PurePosixPath:
    name = member.name
    if "\\" in name or "\0" in name:
        raise ArchiveError(f"{label} is hostile: the member name {name!r} has a backslash or NUL")
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/"):
        raise ArchiveError(f"{label} is hostile: it has an absolute path ({name!r})")
    parts = [p for p in path.parts if p != "."]
    if ".." in parts:
        raise ArchiveError(f"{label} is hostile: the member {name!r} climbs out with '..'")
    if not parts:
        raise ArchiveError(f"{label} has a member with an empty name")
    if top is not None and parts[0] != top:
        raise ArchiveError(f"{label}: the member {name!r} is outside the package folder {top!r}")
    return PurePosixPath(*parts)


def _check_type(member: tarfile.TarInfo, label: str) -> None:
    if member.issym() or member.islnk():
        raise ArchiveError(f"{label} is hostile: {member.name!r} is a link (to {member.linkname!r})")
    if not (member.isfile() or member.isdir()):
        raise ArchiveError(f"{label} is hostile: {member.name!r} is a device, fifo or special file")


def unpack(archive: Path, staging: Path, *, name: str, limits: Limits = Limits()) -> Path:
    """Extract ``archive`` (a package whose top folder must be ``name``) into the empty folder
    ``staging``; returns ``staging/name``. Raises ArchiveError or DiskFullError; the caller
    removes ``staging`` on failure."""
    label = f"the archive of '{name}' ({Path(archive).name})"
    total = count = 0
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                count += 1
                if count > limits.max_members:
                    raise ArchiveError(f"{label} has more than {limits.max_members} files")
                rel = _member_path(member, name, label)
                _check_type(member, label)
                if member.size > limits.max_file:
                    raise ArchiveError(f"{label} is refused: {member.name!r} would be {member.size} bytes")
                total += member.size
                if total > limits.max_total:
                    raise ArchiveError(f"{label} is refused: it unpacks to more than {limits.max_total} bytes")
                target = staging.joinpath(*rel.parts)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has a reader
                mode = 0o755 if member.mode & 0o111 else 0o644
                with open(target, "xb") as out:  # "x": a repeated member can't overwrite
                    remaining = member.size
                    while remaining > 0:
                        chunk = source.read(min(remaining, 1 << 20))
                        if not chunk:
                            raise EOFError("unexpected end of data")
                        out.write(chunk)
                        remaining -= len(chunk)
                os.chmod(target, mode)
    except ArchiveError:
        raise
    except (FileExistsError, IsADirectoryError, NotADirectoryError):
        raise ArchiveError(f"{label} is hostile: a path appears twice in it (as a file and again)") from None
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise DiskFullError(f"not enough disk space to install '{name}' (it needs {total // 1024} KiB "
                                f"or more); the library is unchanged") from None
        if exc.errno is not None:
            raise  # the machine's problem (permissions, I/O), not the archive's
        raise ArchiveError(f"{label} is truncated or corrupt ({exc})") from None
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"{label} is truncated or corrupt ({exc or 'unexpected end of data'})") from None
    folder = staging / name
    if not folder.is_dir():
        raise ArchiveError(f"{label} is empty or has no folder '{name}'")
    return folder


def read_description(folder: Path) -> dict[str, str]:
    try:
        records = dcf.read_file(folder / "DESCRIPTION")
    except FileNotFoundError:
        raise ArchiveError(f"'{folder.name}' has no DESCRIPTION file: it isn't an R package") from None
    except (OSError, dcf.DcfError) as exc:
        raise ArchiveError(f"the DESCRIPTION of '{folder.name}' can't be read ({exc})") from None
    if not records:
        raise ArchiveError(f"the DESCRIPTION of '{folder.name}' is empty")
    return records[0]


def check_package(folder: Path, *, name: str, version: str | None, kind: str) -> dict[str, str]:
    """Check an unpacked (or built) package folder; returns its DESCRIPTION record."""
    record = read_description(folder)
    if record.get("Package") != name:
        raise ArchiveError(f"the archive for '{name}' holds package '{record.get('Package')}'")
    if version is not None:
        have = record.get("Version", "")
        try:
            same = versions.compare(have, version) == 0 and have.strip() != ""
        except versions.VersionError:
            same = False
        if not same:
            raise ArchiveError(f"the archive for '{name}' {version} holds version {have or 'none'}")
    if kind == SOURCE:
        if (folder / "src").exists():
            raise CompiledCodeError(f"package '{name}' has compiled code (src/), which can't be built "
                                    f"inside webR: {WEBR_BINARY_HINT}")
        return record
    built = versions.built_r_version(record.get("Built"))
    if built is None:
        raise ArchiveError(f"package '{name}' is not a binary package (its DESCRIPTION has no 'Built:' field)")
    if versions.compare(built, MIN_BUILT) < 0:
        raise ArchiveError(f"package '{name}' was built for R {built}, before R 4.0; webR's R can't load it. "
                           f"Use a build for R >= 4.0 ({WEBR_BINARY_HINT})")
    _check_libs(folder, name)
    return record


def _check_libs(folder: Path, name: str) -> None:
    libs = folder / "libs"
    if not libs.is_dir():
        return
    for path in sorted(libs.rglob("*")):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            raise ArchiveError(f"package '{name}' has a link in libs/ ({path.name})")
        if not path.name.endswith(".so") or not stat.S_ISREG(mode):
            continue
        with open(path, "rb") as handle:
            magic = handle.read(4)
        if magic != WASM_MAGIC:
            raise CompiledCodeError(
                f"package '{name}' has compiled code not built for webR (libs/{path.relative_to(libs)} "
                f"is not WebAssembly): {WEBR_BINARY_HINT}")


def check_tree_safe(folder: Path) -> None:
    """A built tree handed to us (from the R side) must hold only plain files and folders."""
    for root, dirs, files in os.walk(folder):
        for entry in (*dirs, *files):
            mode = os.lstat(os.path.join(root, entry)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise ArchiveError(f"the built package has a link or special file: {entry}")


__all__ = ["BINARY", "SOURCE", "WEBR_BINARY_HINT", "CompiledCodeError", "Limits", "check_package",
           "check_tree_safe", "read_description", "unpack"]
