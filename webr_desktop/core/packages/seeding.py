"""Write a local repository (``webr-desktop packages seed``) that webR and this app read.

Binaries go to ``bin/emscripten/contrib/4.6`` and source packages to ``src/contrib``, as
``<pkg>_<version>.tgz`` / ``.tar.gz``, each folder with ``PACKAGES`` and ``PACKAGES.gz`` (the
fields R's ``write_PACKAGES`` writes, plus ``Title`` for search). Entries already there are
kept unless the same package is written again. Files are copied through a temporary name, so
an interrupted seed never leaves a half archive under a real name.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from webr_desktop.core.atomic_file import write_atomic
from webr_desktop.core.packages import dcf, scan
from webr_desktop.core.packages.model import BINARY, Candidate
from webr_desktop.core.packages.sources import BINARY_SUBDIR, SOURCE_SUBDIR

INDEX_FIELDS = (
    "Package", "Version", "Priority", "Depends", "Imports", "LinkingTo", "Suggests", "Enhances",
    "License", "License_is_FOSS", "License_restricts_use", "OS_type", "Archs", "MD5sum",
    "NeedsCompilation", "Title", "Built",
)


def index_record(record: dict[str, str], md5: str) -> dict[str, str]:
    out = {k: " ".join(record[k].split()) for k in INDEX_FIELDS if record.get(k) and k != "MD5sum"}
    out["MD5sum"] = md5
    return {k: out[k] for k in INDEX_FIELDS if k in out}


def write_index(directory: Path, records: Sequence[dict[str, str]]) -> None:
    """PACKAGES and PACKAGES.gz for ``directory``, sorted by package name."""
    text = dcf.format_records(sorted(records, key=lambda r: r["Package"].lower()))
    write_atomic(directory / "PACKAGES", text)
    fd, tmp = tempfile.mkstemp(prefix=".PACKAGES.gz.", dir=directory)
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(text.encode("utf-8"))
    os.replace(tmp, directory / "PACKAGES.gz")


def write_repository(root: Path, items: Sequence[tuple[Candidate, Path]]) -> list[Path]:
    """Copy each (candidate, verified archive) into ``root`` and update the indexes."""
    written: list[Path] = []
    by_dir: dict[Path, dict[str, dict[str, str]]] = {}
    for candidate, path in items:
        directory = root / (BINARY_SUBDIR if candidate.kind == BINARY else SOURCE_SUBDIR)
        directory.mkdir(parents=True, exist_ok=True)
        if directory not in by_dir:
            by_dir[directory] = _existing(directory)
        ext = "tgz" if candidate.kind == BINARY else "tar.gz"
        target = directory / f"{candidate.name}_{candidate.version}.{ext}"
        fd, tmp = tempfile.mkstemp(prefix=".seed-", dir=directory)
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
        by_dir[directory][candidate.name] = index_record(candidate.record, scan.md5_file(target))
        written.append(target)
    for directory, records in by_dir.items():
        write_index(directory, list(records.values()))
    return written


def _existing(directory: Path) -> dict[str, dict[str, str]]:
    try:
        return {r["Package"]: r for r in dcf.read_file(directory / "PACKAGES") if "Package" in r}
    except (OSError, dcf.DcfError):
        return {}
