"""Fetch, verify and check the pinned webR runtime (the npm package's ``dist/``).

The app never downloads at run time: set-up runs ``npm pack`` once, checks the tarball
against the sha512 pinned in ``wasm/webr.lock.json``, and unpacks ``package/dist/`` into a
git-ignored directory together with a manifest of every file's size and sha256.  Each app
start then only needs the cheap manifest check (stat calls, no hashing).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Callable

from webr_desktop.core import frozen, paths

FIX_COMMAND = "webr-desktop fetch-runtime"
MANIFEST_NAME = ".webr-runtime.json"
KEY_FILES = ("webr.js", "webr-worker.js", "R.wasm", "R.js")
_DIST_PREFIX = ("package", "dist")
# Where R's version can be read; 0.6.0 ships base's DESCRIPTION inside R.wasm, but
# ``translations`` is part of R itself and carries the same version as a plain file.
_DESCRIPTION_CANDIDATES = (
    "vfs/usr/lib/R/library/base/DESCRIPTION",
    "vfs/usr/lib/R/library/translations/DESCRIPTION",
)
_VERSION_FIELD = re.compile(rb"^Version:[ \t]*([^\s]+)", re.M)
_WASM_BASE_VERSION = re.compile(rb"Package: base\nVersion: ([0-9][0-9.\-]*)\n")
_CHUNK = 1 << 20
_NPM_TIMEOUT_S = 900


class RuntimeAssetError(Exception):
    """Any problem fetching, verifying or finding the webR runtime."""


class IntegrityError(RuntimeAssetError):
    """The downloaded tarball is not the one pinned in the lock file."""


class RuntimeMissing(RuntimeAssetError):
    """The runtime directory or its manifest does not exist (set-up never ran)."""


class RuntimeCorrupt(RuntimeAssetError):
    """The runtime exists but does not match its manifest or the lock file."""


def _missing(dest: Path) -> RuntimeMissing:
    return RuntimeMissing(
        f"The webR runtime is missing from {dest}. Run `{FIX_COMMAND}` to fetch and verify it."
    )


def _corrupt(dest: Path, detail: str) -> RuntimeCorrupt:
    return RuntimeCorrupt(
        f"The webR runtime in {dest} is damaged or out of date ({detail}). "
        f"Run `{FIX_COMMAND}` to fetch and verify it again."
    )


@dataclass(frozen=True)
class RuntimeLock:
    """The pinned npm package: what to fetch and the sha512 it must have."""

    package: str
    version: str
    integrity: str

    @classmethod
    def load(cls, path: Path | None = None) -> RuntimeLock:
        """Read the lock file; a malformed lock is a set-up error, not a runtime one."""
        path = path if path is not None else paths.lock_file()
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            fields = {key: data[key] for key in ("package", "version", "integrity")}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RuntimeAssetError(f"Cannot read the webR lock file {path}: {exc}") from exc
        if not all(isinstance(v, str) and v for v in fields.values()):
            raise RuntimeAssetError(f"The webR lock file {path} has empty or non-text fields")
        return cls(**fields)

    @property
    def spec(self) -> str:
        """The npm package spec, e.g. ``webr@0.6.0``."""
        return f"{self.package}@{self.version}"


@dataclass(frozen=True)
class RuntimeInfo:
    """What is installed, for the About box and start-up logs."""

    path: Path
    webr_version: str
    r_version: str


# ---------------------------------------------------------------- integrity


def _sha512_sri(digest: bytes) -> str:
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def verify_integrity(tarball: Path, integrity: str) -> None:
    """Check ``tarball`` against an npm/SRI ``sha512-<base64>`` string.

    Only sha512 is accepted: npm has published it for every package since 2017, and
    accepting sha1 would let a weaker pin slip in unnoticed.
    """
    expected: list[bytes] = []
    for token in integrity.split():
        algo, sep, b64 = token.partition("-")
        if not sep or algo.lower() != "sha512":
            continue
        try:
            expected.append(base64.b64decode(b64.split("?", 1)[0], validate=True))
        except ValueError as exc:
            raise IntegrityError(f"Malformed sha512 integrity value {token!r}") from exc
    if not expected:
        raise IntegrityError(
            f"Unsupported integrity {integrity!r}: only npm's sha512-<base64> form is accepted"
        )
    actual = _hash_file(tarball, hashlib.sha512()).digest()
    if not any(hmac.compare_digest(actual, want) for want in expected):
        raise IntegrityError(
            f"{Path(tarball).name} does not match the pinned integrity: "
            f"expected {_sha512_sri(expected[0])}, got {_sha512_sri(actual)}"
        )


# ---------------------------------------------------------------- unpacking


def _safe_parts(name: str) -> list[str]:
    """Split a member name, refusing anything that could land outside the target."""
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        raise RuntimeAssetError(f"Refusing tarball member with an absolute path: {name!r}")
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise RuntimeAssetError(f"Refusing tarball member that climbs out with '..': {name!r}")
    return parts


def _dist_filter(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
    """Keep regular files and dirs under package/dist/, renamed relative to it."""
    parts = _safe_parts(member.name)
    if not (member.isfile() or member.isdir()):
        raise RuntimeAssetError(
            f"Refusing tarball member that is a link or special file: {member.name!r}"
        )
    if tuple(parts[:2]) != _DIST_PREFIX or len(parts) == 2:
        return None
    renamed = member.replace(name="/".join(parts[2:]), deep=False)
    return tarfile.data_filter(renamed, path)


def unpack_dist(tarball: Path, dest: Path) -> None:
    """Extract ``package/dist/`` into ``dest``, replacing it only once extraction succeeded.

    Every member of the tarball is checked (not just the dist ones) so a hostile archive is
    refused outright.  Extraction goes to a sibling temp dir, then two renames swap it in;
    a failure at any point leaves the previous ``dest`` as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would otherwise become the runtime's mode
        try:
            with tarfile.open(tarball, "r:*") as tf:
                tf.extractall(staging, filter=_dist_filter)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise RuntimeAssetError(f"Cannot unpack {Path(tarball).name}: {exc}") from exc
        if not any(staging.iterdir()):
            raise RuntimeAssetError(f"{Path(tarball).name} contains no package/dist/ files")
        _swap_into_place(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, dest: Path) -> None:
    """Rename ``staging`` to ``dest``; the old ``dest`` is put back if that fails."""
    if not (dest.exists() or dest.is_symlink()):
        os.rename(staging, dest)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
    old.rmdir()  # only wanted a unique name; rename needs it absent
    os.rename(dest, old)
    try:
        os.rename(staging, dest)
    except BaseException:
        os.rename(old, dest)
        raise
    if old.is_symlink() or not old.is_dir():
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- manifest


def _hash_file(path: Path, hasher: Any) -> Any:
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            hasher.update(chunk)
    return hasher


def _read_r_version(dest: Path) -> str:
    """R's version from a shipped DESCRIPTION, else from base's copy embedded in R.wasm."""
    for rel in _DESCRIPTION_CANDIDATES:
        try:
            found = _VERSION_FIELD.search((dest / rel).read_bytes())
        except OSError:
            continue
        if found:
            return found[1].decode("ascii", "replace")
    try:
        with open(dest / "R.wasm", "rb") as fh:
            tail = b""
            while chunk := fh.read(_CHUNK):
                found = _WASM_BASE_VERSION.search(tail + chunk)
                if found:
                    return found[1].decode("ascii", "replace")
                tail = (tail + chunk)[-256:]
    except OSError:
        pass
    return "unknown"


def write_manifest(dest: Path, lock: RuntimeLock) -> RuntimeInfo:
    """Record every file's size and sha256 so later checks can be cheap stat calls."""
    dest = Path(dest)
    files: dict[str, list[int | str]] = {}
    for root, dirs, names in os.walk(dest):
        dirs.sort()
        for name in sorted(names):
            full = Path(root, name)
            rel = full.relative_to(dest).as_posix()
            if rel == MANIFEST_NAME:
                continue
            if full.is_symlink() or not full.is_file():
                raise _corrupt(dest, f"{rel} is not a regular file")
            files[rel] = [full.stat().st_size, _hash_file(full, hashlib.sha256()).hexdigest()]
    for key in KEY_FILES:
        if key not in files:
            raise _corrupt(dest, f"{key} is missing")
    r_version = _read_r_version(dest)
    manifest = {
        "package": lock.package,
        "version": lock.version,
        "integrity": lock.integrity,
        "r_version": r_version,
        "files": files,
    }
    tmp = dest / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, dest / MANIFEST_NAME)
    return RuntimeInfo(path=dest, webr_version=lock.version, r_version=r_version)


def check_runtime(
    dest: Path | None = None, lock: RuntimeLock | None = None, *, deep: bool = False
) -> RuntimeInfo:
    """Confirm the installed runtime matches the lock; cheap unless ``deep`` re-hashes."""
    lock = lock if lock is not None else RuntimeLock.load()
    dest = Path(dest) if dest is not None else paths.default_runtime_dir(lock.version)
    manifest_path = dest / MANIFEST_NAME
    if not dest.is_dir() or not manifest_path.is_file():
        raise _missing(dest)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if not isinstance(files, dict):
            raise TypeError("files is not a mapping")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _corrupt(dest, f"unreadable manifest: {exc}") from exc
    for key in ("package", "version", "integrity"):
        have, want = manifest.get(key), getattr(lock, key)
        if have != want:
            raise _corrupt(dest, f"it holds {key} {have!r} but the lock pins {want!r}")
    for key in KEY_FILES:
        if key not in files:
            raise _corrupt(dest, f"{key} is not listed in the manifest")
    for rel, entry in files.items():
        try:
            size, digest = entry
            parts = _safe_parts(rel)
        except (ValueError, TypeError, RuntimeAssetError) as exc:
            raise _corrupt(dest, f"bad manifest entry {rel!r}") from exc
        full = dest.joinpath(*parts)
        try:
            actual_size = full.stat().st_size
        except OSError:
            raise _corrupt(dest, f"{rel} is missing") from None
        if actual_size != size:
            raise _corrupt(dest, f"{rel} has {actual_size} bytes, expected {size}")
        if deep and _hash_file(full, hashlib.sha256()).hexdigest() != digest:
            raise _corrupt(dest, f"{rel} has changed since it was verified")
    return RuntimeInfo(
        path=dest,
        webr_version=str(manifest["version"]),
        r_version=str(manifest.get("r_version", "unknown")),
    )


# ---------------------------------------------------------------- fetching


def _find_tarball(stdout: str, folder: Path) -> Path:
    """The tarball npm reported in its JSON, else the single .tgz it left behind."""
    try:
        data = json.loads(stdout)
        entry = data[0] if isinstance(data, list) else data
        candidate = folder / PurePosixPath(str(entry["filename"]).replace("\\", "/")).name
        if candidate.is_file():
            return candidate
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    found = sorted(folder.glob("*.tgz"))
    if len(found) != 1:
        raise RuntimeAssetError(
            f"npm pack finished but left {len(found)} tarballs in {folder}; expected one"
        )
    return found[0]


def _npm_pack(npm: str, spec: str, folder: Path) -> Path:
    exe = shutil.which(npm)
    if exe is None:
        raise RuntimeAssetError(
            f"Cannot find {npm!r}: Node.js and npm are needed once, to fetch the webR "
            "runtime (install Node.js from https://nodejs.org and run set-up again)"
        )
    cmd = [exe, "pack", spec, "--pack-destination", str(folder), "--json", "--ignore-scripts"]
    try:
        proc = subprocess.run(
            cmd, cwd=folder, capture_output=True, text=True, timeout=_NPM_TIMEOUT_S, check=False,
            env=frozen.outside_environment(dict(os.environ)),  # npm is not ours: no bundle libs
        )
    except FileNotFoundError as exc:
        raise RuntimeAssetError(
            f"Cannot run {npm!r}: Node.js and npm are needed to fetch the webR runtime"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise RuntimeAssetError(f"npm pack {spec} took longer than {_NPM_TIMEOUT_S}s") from exc
    if proc.returncode != 0:
        raise RuntimeAssetError(
            f"npm pack {spec} failed with exit code {proc.returncode}:\n"
            + "\n".join((proc.stderr or proc.stdout or "(no output)").strip().splitlines()[-15:])
        )
    return _find_tarball(proc.stdout, folder)


def fetch_runtime(
    dest: Path | None = None,
    lock: RuntimeLock | None = None,
    *,
    npm: str = "npm",
    force: bool = False,
    log: Callable[[str], None] = print,
) -> RuntimeInfo:
    """Install the pinned runtime unless an intact copy (deep-checked) is already there."""
    lock = lock if lock is not None else RuntimeLock.load()
    dest = Path(dest) if dest is not None else paths.default_runtime_dir(lock.version)
    if not force:
        try:
            info = check_runtime(dest, lock, deep=True)
        except RuntimeAssetError:
            pass
        else:
            log(f"webR {info.webr_version} (R {info.r_version}) is already installed in {dest}")
            return info
    with tempfile.TemporaryDirectory(prefix="webr-desktop-pack-") as tmp:
        log(f"Fetching {lock.spec} with npm...")
        tarball = _npm_pack(npm, lock.spec, Path(tmp))
        verify_integrity(tarball, lock.integrity)
        log(f"Verified {tarball.name} against the pinned sha512")
        unpack_dist(tarball, dest)
    info = write_manifest(dest, lock)
    log(f"Installed webR {info.webr_version} (R {info.r_version}) into {dest}")
    return info
