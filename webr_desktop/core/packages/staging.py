"""Source packages: Python checks and unpacks the source, R (inside webR) builds it, Python
checks the built tree and moves it into the library.

webR has no ``R CMD INSTALL``, so the R side builds a pure-R package with ``tools:::``
functions. This store hands it a checked source tree (``source_dir``) and an empty folder to
build into (``out_dir``), both in the library's work area on the same file system, then
``commit`` checks ``out_dir/<pkg>`` as a binary (``Built:`` ≥ R 4.0, no foreign compiled code,
no links) and renames it in. Stage ids are random; only ids this store made are accepted.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from webr_desktop.core.packages import archive
from webr_desktop.core.packages.errors import PackageError
from webr_desktop.core.packages.library import InstalledPackage, Library
from webr_desktop.core.packages.model import BINARY, SOURCE

STAGE_PREFIX = "build-"
STAGE_MAX_AGE = 24 * 3600.0
_ID = re.compile(r"^build-[A-Za-z0-9_]{4,64}$")


@dataclass(frozen=True)
class _Stage:
    folder: Path
    name: str
    version: str
    origin: str
    created: float


class StageStore:
    def __init__(self, library: Library) -> None:
        self._library = library
        self._lock = threading.Lock()
        self._stages: dict[str, _Stage] = {}

    def stage(self, path: Path, name: str, version: str, origin: str) -> dict[str, str]:
        with self._library.locked():
            folder = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=self._library.work))
        try:
            source = archive.unpack(path, folder / "source", name=name)
            archive.check_package(source, name=name, version=version, kind=SOURCE)
            (folder / "built").mkdir()
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self._lock:
            self._stages[folder.name] = _Stage(folder, name, version, origin, time.time())
        return {"stage": folder.name, "package": name, "version": version,
                "source_dir": str(source), "out_dir": str(folder / "built")}

    def _take(self, stage_id: str) -> _Stage:
        with self._lock:
            stage = self._stages.pop(stage_id, None) if _ID.match(stage_id or "") else None
        if stage is None:
            raise PackageError(f"no source build in progress with id {stage_id!r}")
        return stage

    def commit(self, stage_id: str) -> InstalledPackage:
        stage = self._take(stage_id)
        try:
            built = stage.folder / "built" / stage.name
            if not built.is_dir():
                raise PackageError(f"building '{stage.name}' produced no package folder")
            with self._library.locked():
                return self._library.commit(built, name=stage.name, version=stage.version,
                                            source=stage.origin, kind=BINARY)
        finally:
            shutil.rmtree(stage.folder, ignore_errors=True)

    def discard(self, stage_id: str) -> None:
        shutil.rmtree(self._take(stage_id).folder, ignore_errors=True)
