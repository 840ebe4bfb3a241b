"""Get a planned archive onto disk, verified: from the cache, a local folder, or a download.

A download streams into a temporary file in the cache folder while its MD5 is computed; it
enters the cache only if the MD5 matches the repository's index, so a corrupt or tampered
download is refused and never reused. When a repository can't be reached, a cached copy of the
same version serves instead; with none, the error says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from webr_desktop.core.packages import scan
from webr_desktop.core.packages.cache import PackageCache
from webr_desktop.core.packages.errors import ChecksumError, DiskFullError, OfflineError, PackageError
from webr_desktop.core.packages.model import Candidate

CHUNK = 256 * 1024
TIMEOUT = 60.0
USER_AGENT = "webR-Desktop (packages)"
NO_SPACE_ERRNOS = (28, 122)  # ENOSPC, EDQUOT

Bytes = Callable[[int, int | None], None]  # (bytes done, total or None)


def size_of(url: str, opener: urllib.request.OpenerDirector | None = None, timeout: float = 10.0) -> int | None:
    """Content-Length from a HEAD request, or None (plans show sizes before downloading)."""
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": USER_AGENT})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            return int(length) if length and length.isdigit() else None
    except (OSError, ValueError):
        return None


def obtain(candidate: Candidate, cache: PackageCache, on_bytes: Bytes | None = None, *,
           timeout: float = TIMEOUT, opener: urllib.request.OpenerDirector | None = None) -> tuple[Path, bool]:
    """The verified archive for ``candidate`` and whether it came from the cache."""
    cached = cache.find(candidate)
    if cached is not None:
        if on_bytes is not None:
            size = cached.stat().st_size
            on_bytes(size, size)
        return cached, True
    if not candidate.is_remote:
        path = Path(candidate.location)
        if not path.is_file():
            raise PackageError(f"the archive of '{candidate.name}' is gone from {path}")
        if candidate.md5 and scan.md5_file(path) != candidate.md5.lower():
            raise ChecksumError(f"checksum mismatch for '{candidate.name}' {candidate.version} in {path}: "
                                f"the folder's index says MD5 {candidate.md5}; nothing was installed")
        return path, False
    try:
        return _download(candidate, cache, on_bytes, timeout, opener or urllib.request.build_opener()), False
    except OfflineError:
        fallback = cache.find_version(candidate.name, candidate.version, candidate.kind)
        if fallback is not None and candidate.md5 is None:
            return fallback, True
        raise


def _download(candidate: Candidate, cache: PackageCache, on_bytes: Bytes | None, timeout: float,
              opener: urllib.request.OpenerDirector) -> Path:
    request = urllib.request.Request(candidate.location, headers={"User-Agent": USER_AGENT})
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise PackageError(f"can't download '{candidate.name}' {candidate.version} from "
                           f"{candidate.location}: HTTP {exc.code} {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise OfflineError(f"'{candidate.name}' {candidate.version} isn't in the package cache and "
                           f"{candidate.source} can't be reached ({getattr(exc, 'reason', exc)})") from None
    fd, tmp = cache.temp_file()
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with response, os.fdopen(fd, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else candidate.size
            done = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if on_bytes is not None:
                    on_bytes(done, total)
        if length and length.isdigit() and done != int(length):
            raise OfflineError(f"the download of '{candidate.name}' from {candidate.source} broke off after "
                               f"{done} of {length} bytes; nothing was installed")
        md5 = digest.hexdigest()
        if candidate.md5 and md5 != candidate.md5.lower():
            raise ChecksumError(f"checksum mismatch for '{candidate.name}' {candidate.version} from "
                                f"{candidate.location}: the index says MD5 {candidate.md5}, the download has "
                                f"{md5}; it was discarded and nothing was installed")
        return cache.put(tmp, candidate, md5)
    except OSError as exc:
        if exc.errno in NO_SPACE_ERRNOS:
            raise DiskFullError(f"no disk space left to download '{candidate.name}'; the library is unchanged") from None
        raise OfflineError(f"the download of '{candidate.name}' from {candidate.source} broke off ({exc})") from None
    except http.client.HTTPException as exc:  # IncompleteRead: the server hung up mid-body
        raise OfflineError(f"the download of '{candidate.name}' from {candidate.source} broke off "
                           f"({type(exc).__name__}); nothing was installed") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
