"""Where packages come from, in the order the user set: repositories and local folders.

A repository is a CRAN-like root URL holding webR binaries at ``bin/emscripten/contrib/4.6``
(repo.r-wasm.org, R-universe, a loopback test server), and maybe source packages at
``src/contrib`` (CRAN and its mirrors: pure-R ones are built inside webR). Its index is fetched here in Python with
ETag / If-Modified-Since and the last good copy is kept on disk, so an unreachable repository
still offers what it had (marked stale). A local folder is rwasm's layout, a CRAN-like
``src/contrib`` of source packages, or a flat folder of ``.tgz``/``.tar.gz``; archives without
an index entry are described from their own DESCRIPTION (remembered by size and mtime, in the
cache, never written into the user's folder). The package cache (``cache``) comes last.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from webr_desktop.core import paths
from webr_desktop.core.atomic_file import write_atomic
from webr_desktop.core.packages import dcf, scan, versions
from webr_desktop.core.packages.model import BINARY, SOURCE, Candidate, IndexStatus

logger = logging.getLogger(__name__)

R_MINOR = "4.6"
BINARY_SUBDIR = f"bin/emscripten/contrib/{R_MINOR}"
SOURCE_SUBDIR = "src/contrib"
DEFAULT_REPO = "https://repo.r-wasm.org"
INDEX_TIMEOUT = 15.0  # an unreachable repository costs this once per refresh (max_age)
USER_AGENT = "webR-Desktop (packages)"


@dataclass
class SourceConfig:
    """One entry of Packages ▸ Repositories…: ``kind`` "repo" (a URL) or "local" (a folder)."""

    kind: str
    location: str
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("repo", "local"):
            raise ValueError(f"a package source is 'repo' or 'local', not {self.kind!r}")
        if self.kind == "repo" and not self.location.lower().startswith(("http://", "https://")):
            raise ValueError(f"a repository is an http(s) URL, not {self.location!r}")


def default_sources(shipped: Path | None = None) -> list[SourceConfig]:
    """What a new user starts with: the repository an installer shipped (offline, first), then
    webR's repository."""
    shipped = shipped if shipped is not None else paths.bundled_packages_dir()
    first = [SourceConfig("local", str(shipped))] if shipped is not None else []
    return [*first, SourceConfig("repo", DEFAULT_REPO)]


def load_config(path: Path) -> list[SourceConfig]:
    """The saved sources in order; the default ones when nothing was saved."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [SourceConfig(str(e["kind"]), str(e["location"]), bool(e.get("enabled", True)))
                for e in data["sources"]]
    except FileNotFoundError:
        return default_sources()
    except (ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring unreadable %s (%s): using the default sources", path, exc)
        return default_sources()


def save_config(path: Path, sources: list[SourceConfig]) -> None:
    write_atomic(Path(path), json.dumps({"sources": [asdict(s) for s in sources]}, indent=2) + "\n")


def _candidate(record: dict[str, str], source: str, kind: str, location: str) -> Candidate | None:
    """A Candidate from an index record, or None for an entry that can't be offered (a bad
    name, a ``File`` that isn't a plain file name: indexes are as untrusted as archives)."""
    name, version = record.get("Package"), record.get("Version")
    if not versions.valid_name(name) or not version:
        return None
    size = record.get("Size")
    return Candidate(name, version, source, kind, location, record,
                     md5=record.get("MD5sum") or None, size=int(size) if size and size.isdigit() else None)


class RepoSource:
    """A CRAN-like repository: webR binaries at ``bin/emscripten/contrib/4.6`` and, when it has
    one (CRAN itself, a mirror), source packages at ``src/contrib``; indexes kept under
    ``index_root`` so the last good ones work offline."""

    def __init__(self, url: str, index_root: Path, *, timeout: float = INDEX_TIMEOUT,
                 opener: urllib.request.OpenerDirector | None = None) -> None:
        self.url = url.rstrip("/")
        self.label = self.url
        self._root = Path(index_root) / hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self._timeout = timeout
        self.opener = opener or urllib.request.build_opener()  # the service sets its own
        self._parsed: dict[str, tuple[tuple[int, int], list[Candidate]]] = {}  # unchanged index: no re-parse

    @property
    def contrib_url(self) -> str:
        return f"{self.url}/{BINARY_SUBDIR}"

    def load(self, *, refresh: bool = True) -> tuple[IndexStatus, list[Candidate]]:
        """Fetch the indexes if ``refresh`` (a 304 keeps the saved one), else use the saved ones.
        Unreachable: the saved indexes, marked stale. A repository may have binaries, sources
        or both (a 404 means it has none of that kind); having neither is an error."""
        found: list[Candidate] = []
        errors: list[str] = []
        fetched: list[float] = []
        stale = unreachable = False
        missing = 0
        for subdir, kind in ((BINARY_SUBDIR, BINARY), (SOURCE_SUBDIR, SOURCE)):
            folder = self._root / ("bin" if kind == BINARY else "src")
            meta = _read_meta(folder)
            if unreachable:  # same host: don't wait for a second timeout
                stale |= meta is not None
            elif refresh or meta is None:
                try:
                    meta = self._fetch(folder, subdir, meta)
                except urllib.error.HTTPError as exc:
                    if exc.code != 404:
                        errors.append(f"{subdir}: HTTP {exc.code} {exc.reason}")
                    missing += 1
                    meta = None  # the repository has none (any more): forget the saved one
                    shutil.rmtree(folder, ignore_errors=True)
                except (OSError, dcf.DcfError) as exc:
                    if meta is not None or kind == BINARY:
                        errors.append(f"index unreachable: {getattr(exc, 'reason', exc)}")
                    stale |= meta is not None
                    unreachable = not isinstance(exc, dcf.DcfError)
                    logger.info("%s: %s", self.url, exc)
            if meta is None:
                continue
            try:
                found.extend(self._candidates(folder / "PACKAGES", subdir, kind))
            except (OSError, dcf.DcfError) as exc:
                errors.append(f"saved index unreadable: {exc}")
                continue
            fetched.append(meta.get("fetched_at") or 0.0)
        ok = bool(fetched)
        if missing == 2:
            errors.append(f"no package index at {self.url}/{BINARY_SUBDIR} or {self.url}/{SOURCE_SUBDIR}")
        error = "; ".join(dict.fromkeys(errors)) or None
        status = IndexStatus(self.label, ok, stale=ok and stale, error=error,
                             fetched_at=min(fetched) if fetched else None, count=len(found))
        return status, found

    def _candidates(self, index: Path, subdir: str, kind: str) -> list[Candidate]:
        """The saved index's candidates, parsed again only when the file changed."""
        st = index.stat()
        memo = self._parsed.get(subdir)
        if memo is not None and memo[0] == (st.st_mtime_ns, st.st_size):
            return memo[1]
        return self._remember(index, subdir, self._build(dcf.read_file(index), subdir, kind))

    def _build(self, records: list[dict[str, str]], subdir: str, kind: str) -> list[Candidate]:
        suffix = ".tgz" if kind == BINARY else ".tar.gz"
        out = []
        for record in records:
            if (file := _file_name(record, suffix)) is None:
                continue
            location = f"{self.url}/{subdir}/{urllib.parse.quote(file, safe='')}"
            if (candidate := _candidate(record, self.label, kind, location)) is not None:
                out.append(candidate)
        return out

    def _remember(self, index: Path, subdir: str, found: list[Candidate]) -> list[Candidate]:
        st = index.stat()
        self._parsed[subdir] = ((st.st_mtime_ns, st.st_size), found)
        return found

    def _fetch(self, folder: Path, subdir: str, meta: dict | None) -> dict:
        """GET PACKAGES.gz (then PACKAGES); saves it and returns the new meta, or the old on 304.
        Raises HTTPError (404: there is none), other OSErrors (unreachable) or DcfError."""
        last_error: urllib.error.HTTPError | None = None
        for name in ("PACKAGES.gz", "PACKAGES"):
            request = urllib.request.Request(f"{self.url}/{subdir}/{name}", headers={"User-Agent": USER_AGENT})
            if meta is not None and meta.get("file") == name:
                if meta.get("etag"):
                    request.add_header("If-None-Match", meta["etag"])
                if meta.get("last_modified"):
                    request.add_header("If-Modified-Since", meta["last_modified"])
            try:
                with self.opener.open(request, timeout=self._timeout) as response:
                    body = response.read()
                    headers = response.headers
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code == 304 and meta is not None:
                    meta = {**meta, "fetched_at": time.time()}
                    write_atomic(folder / "meta.json", json.dumps(meta))
                    return meta
                if exc.code != 404:
                    raise
                last_error = exc
                continue
            records = dcf.parse_bytes(body)  # refuse to save an index we can't read
            folder.mkdir(parents=True, exist_ok=True)
            _write_bytes_atomic(folder / "PACKAGES", body)  # as served (maybe gzip'd): read_file knows
            self._remember(folder / "PACKAGES", subdir, self._build(records, subdir, kind_of_subdir(subdir)))
            meta = {
                "url": self.url, "file": name, "etag": headers.get("ETag"),
                "last_modified": headers.get("Last-Modified") or email.utils.formatdate(usegmt=True),
                "fetched_at": time.time(),
            }
            write_atomic(folder / "meta.json", json.dumps(meta))
            return meta
        assert last_error is not None
        raise last_error


def _file_name(record: dict[str, str], suffix: str) -> str | None:
    """The archive's file name: the index's ``File`` if it is a plain name, else the standard."""
    file = record.get("File") or f"{record.get('Package')}_{record.get('Version')}{suffix}"
    if "/" in file or "\\" in file or file.startswith(".") or "\0" in file:
        return None
    return file


def kind_of_subdir(subdir: str) -> str:
    return BINARY if subdir == BINARY_SUBDIR else SOURCE


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_meta(folder: Path) -> dict | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return meta if (folder / "PACKAGES").is_file() and isinstance(meta, dict) else None
    except (OSError, ValueError):
        return None


class LocalSource:
    """A folder on this machine: rwasm layout, ``src/contrib``, or a flat folder of archives."""

    def __init__(self, folder: Path, scan_root: Path) -> None:
        self.folder = Path(folder).expanduser()
        self.label = str(self.folder)
        key = hashlib.sha256(str(self.folder.resolve()).encode()).hexdigest()[:16]
        self._scan_file = Path(scan_root) / f"{key}.json"

    def load(self, *, refresh: bool = True) -> tuple[IndexStatus, list[Candidate]]:
        if not self.folder.is_dir():
            return IndexStatus(self.label, False, error="folder not found"), []
        dirs = [(self.folder / BINARY_SUBDIR, BINARY), (self.folder / SOURCE_SUBDIR, SOURCE)]
        dirs = [(d, k) for d, k in dirs if d.is_dir()] or [(self.folder, None)]
        memo = self._read_memo()
        new_memo: dict[str, dict] = {}
        found: list[Candidate] = []
        errors: list[str] = []
        for directory, kind in dirs:
            listed = self._indexed(directory, kind, errors)
            for path in sorted(directory.iterdir()):
                if not scan.is_archive_name(path.name) or path.name in listed or not path.is_file():
                    continue
                st = path.stat()
                key, stamp = str(path), [st.st_size, st.st_mtime_ns]
                entry = memo.get(key)
                if entry is None or entry.get("stamp") != stamp:
                    try:
                        entry = {"stamp": stamp, "record": scan.describe(path)}
                    except scan.ArchiveError as exc:
                        errors.append(str(exc))
                        continue
                new_memo[key] = entry
                record = dict(entry["record"])
                if (c := _candidate(record, self.label, kind or record.get("Kind", SOURCE), str(path))) is not None:
                    found.append(c)
            found.extend(listed.values())
        if new_memo != memo:
            try:
                write_atomic(self._scan_file, json.dumps(new_memo))
            except OSError as exc:
                logger.info("can't remember the scan of %s: %s", self.folder, exc)
        error = "; ".join(errors) or None
        return IndexStatus(self.label, True, error=error, fetched_at=time.time(), count=len(found)), found

    def _indexed(self, directory: Path, kind: str | None, errors: list[str]) -> dict[str, Candidate]:
        """Candidates from the folder's own PACKAGES index, by file name (repo layouts only)."""
        if kind is None:
            return {}
        for name in ("PACKAGES.gz", "PACKAGES"):
            if (directory / name).is_file():
                try:
                    records = dcf.read_file(directory / name)
                except (OSError, dcf.DcfError) as exc:
                    errors.append(f"{directory / name}: {exc}")
                    return {}
                out = {}
                suffix = ".tgz" if kind == BINARY else ".tar.gz"
                for record in records:
                    if (file := _file_name(record, suffix)) is None:
                        continue
                    path = directory / file
                    if path.is_file() and (c := _candidate(record, self.label, kind, str(path))) is not None:
                        out[file] = Candidate(c.name, c.version, c.source, c.kind, c.location, c.record,
                                              md5=c.md5, size=path.stat().st_size)
                return out
        return {}

    def _read_memo(self) -> dict[str, dict]:
        try:
            data = json.loads(self._scan_file.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}
