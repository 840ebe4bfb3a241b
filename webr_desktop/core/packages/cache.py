"""The package cache: every archive downloaded is kept, so installs work offline later.

Files are named ``<pkg>_<version>_<md5>.<ext>`` with a JSON sidecar holding the index record
(dependencies, title, where it came from). An archive enters only after its MD5 matched the
repository's index, through a temporary file and a rename, so a cached file is always whole;
its MD5 is checked again when it is used. The cache is also a source of its own (``label``
"cache"), last in order, for when no index of any repository is available.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from webr_desktop.core.atomic_file import write_atomic
from webr_desktop.core.packages import scan
from webr_desktop.core.packages.model import BINARY, Candidate, IndexStatus

LABEL = "cache"
_SAFE = re.compile(r"^[A-Za-z0-9.]+$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")


class PackageCache:
    """Archives under ``root/archives``; thread-safe because every write is a rename."""

    label = LABEL

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.archives = self.root / "archives"

    def _path(self, name: str, version: str, md5: str, kind: str) -> Path | None:
        if not (_SAFE.match(name) and _SAFE.match(version.replace("-", ".")) and _MD5.match(md5)):
            return None
        ext = "tgz" if kind == BINARY else "tar.gz"
        return self.archives / f"{name}_{version}_{md5}.{ext}"

    def find(self, candidate: Candidate) -> Path | None:
        """The cached archive for this candidate, if its MD5 (from the index) still matches."""
        if candidate.source == LABEL:
            path = Path(candidate.location)
        elif candidate.md5:
            path = self._path(candidate.name, candidate.version, candidate.md5.lower(), candidate.kind)
        else:
            return None
        if path is None or not path.is_file():
            return None
        md5 = candidate.md5 or path.name.rsplit("_", 1)[-1].split(".")[0]
        return path if scan.md5_file(path) == md5.lower() else None

    def put(self, archive: Path, candidate: Candidate, md5: str) -> Path:
        """Move a verified download into the cache (consumes ``archive``); returns its path."""
        target = self._path(candidate.name, candidate.version, md5, candidate.kind)
        if target is None:
            raise ValueError(f"can't cache {candidate.name} {candidate.version}")
        self.archives.mkdir(parents=True, exist_ok=True)
        record = {**candidate.record, "MD5sum": md5, "Kind": candidate.kind, "Origin": candidate.source}
        write_atomic(target.with_name(target.name + ".json"), json.dumps(record))
        os.replace(archive, target)
        return target

    def temp_file(self) -> tuple[int, Path]:
        """An open temporary file in the cache folder (same file system as the archives)."""
        self.archives.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=self.archives)
        return fd, Path(name)

    def load(self, *, refresh: bool = True) -> tuple[IndexStatus, list[Candidate]]:
        found = []
        if self.archives.is_dir():
            for sidecar in sorted(self.archives.glob("*.json")):
                archive = sidecar.with_name(sidecar.name[: -len(".json")])
                try:
                    record = json.loads(sidecar.read_text(encoding="utf-8"))
                    if not _SAFE.match(record["Package"]):
                        continue
                    found.append(Candidate(
                        record["Package"], record["Version"], LABEL, record.get("Kind", BINARY),
                        str(archive), record, md5=record.get("MD5sum"), size=archive.stat().st_size,
                    ))
                except (OSError, ValueError, KeyError, TypeError):
                    continue  # half-removed entry or a stray file: not offered
        return IndexStatus(LABEL, True, count=len(found)), found

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.archives)

    def find_version(self, name: str, version: str, kind: str) -> Path | None:
        """Any cached archive of this exact version (for an index that gave no MD5)."""
        ext = "tgz" if kind == BINARY else "tar.gz"
        for path in sorted(self.archives.glob(f"{glob_escape(name)}_{glob_escape(version)}_*.{ext}")):
            md5 = path.name[: -len(ext) - 1].rsplit("_", 1)[-1]
            if _MD5.match(md5) and scan.md5_file(path) == md5:
                return path
        return None


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
