"""Read a package archive's DESCRIPTION and shape without unpacking it (for indexes).

A flat folder of ``.tgz``/``.tar.gz`` files has no ``PACKAGES`` index, so one is made from each
archive: the DESCRIPTION inside (``<pkg>/DESCRIPTION``), whether it is a binary (R CMD INSTALL
adds ``Built:``) or a source package, whether it carries ``src/``, and its MD5. Members are only
listed, never written, so a hostile archive costs a read at most; ``archive`` checks it fully
before an install.
"""

from __future__ import annotations

import hashlib
import tarfile
import zlib
from pathlib import Path

from webr_desktop.core.packages import dcf, versions
from webr_desktop.core.packages.errors import ArchiveError

ARCHIVE_SUFFIXES = (".tgz", ".tar.gz")
MAX_DESCRIPTION = 1024 * 1024
MAX_TOTAL = 2 * 1024 * 1024 * 1024  # as archive.Limits: past this it's a bomb, not a package


def is_archive_name(name: str) -> bool:
    return name.endswith(ARCHIVE_SUFFIXES)


def md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def kind_of(record: dict[str, str]) -> str:
    """"binary" when R CMD INSTALL built it (it adds ``Built:``), else "source"."""
    return "binary" if record.get("Built") else "source"


def describe(path: Path) -> dict[str, str]:
    """An index record for one archive: its DESCRIPTION fields plus ``File``, ``MD5sum``,
    ``Size``, ``Kind`` and, for a package with ``src/``, ``NeedsCompilation: yes``."""
    description: bytes | None = None
    top: str | None = None
    has_src = has_libs = False
    total = 0
    try:
        with tarfile.open(path, "r|*") as tar:
            for member in tar:
                total += member.size
                if total > MAX_TOTAL:
                    raise ArchiveError(f"{path.name} unpacks to more than {MAX_TOTAL} bytes: not indexed")
                parts = member.name.lstrip("./").split("/")
                if not parts or not parts[0]:
                    continue
                top = top or parts[0]
                if len(parts) >= 2 and parts[0] == top:
                    has_src |= parts[1] == "src"
                    has_libs |= parts[1] == "libs"
                if len(parts) == 2 and parts[0] == top and parts[1] == "DESCRIPTION" and member.isfile():
                    if member.size > MAX_DESCRIPTION:
                        raise ArchiveError(f"{path.name}: DESCRIPTION is larger than 1 MB")
                    handle = tar.extractfile(member)
                    description = handle.read() if handle else None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ArchiveError(f"{path.name} is truncated or corrupt ({exc})") from None
    if description is None or top is None:
        raise ArchiveError(f"{path.name} is not an R package: no <package>/DESCRIPTION inside")
    try:
        records = dcf.parse(dcf.decode(description))
    except dcf.DcfError as exc:
        raise ArchiveError(f"{path.name}: its DESCRIPTION can't be read ({exc})") from None
    if not records or "Package" not in records[0] or "Version" not in records[0]:
        raise ArchiveError(f"{path.name}: its DESCRIPTION has no Package or Version field")
    record = records[0]
    if not versions.valid_name(record["Package"]):
        raise ArchiveError(f"{path.name}: {record['Package'][:100]!r} is not a valid package name")
    if record["Package"] != top:
        raise ArchiveError(f"{path.name}: the folder {top!r} doesn't match Package: {record['Package']}")
    record["Kind"] = kind_of(record)
    if has_src or (has_libs and record["Kind"] == "binary"):
        record["NeedsCompilation"] = "yes"
    record["File"] = path.name
    record["MD5sum"] = md5_file(path)
    record["Size"] = str(path.stat().st_size)
    return record
