"""Tests for fetching, verifying and checking the webR runtime, without the network."""

from __future__ import annotations

import subprocess

import base64
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

import pytest

from webr_desktop.core import runtime_assets as ra
from webr_desktop.core.runtime_assets import (
    FIX_COMMAND,
    IntegrityError,
    RuntimeAssetError,
    RuntimeCorrupt,
    RuntimeLock,
    RuntimeMissing,
    check_runtime,
    fetch_runtime,
    unpack_dist,
    verify_integrity,
    write_manifest,
)

REAL_LOCK = Path(__file__).resolve().parents[2] / "wasm" / "webr.lock.json"


@pytest.fixture(scope="module")
def real_tgz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real webR tarball, from npm's cache when it has it (``make test`` just fetched it)."""
    folder = tmp_path_factory.mktemp("npm-pack")
    spec = RuntimeLock.load(REAL_LOCK).spec
    result = subprocess.run(
        ["npm", "pack", spec, "--prefer-offline", "--ignore-scripts", "--pack-destination", str(folder)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"npm pack {spec} failed: {result.stderr[-500:]}"
    return next(folder.glob("*.tgz"))

FAKE_DIST = {
    "webr.js": b"export const WebR = 1;\n",
    "webr-worker.js": b"// worker\n",
    "R.js": b"// emscripten glue\n",
    "R.wasm": b"\0asm" + bytes(range(256)) * 4,
    "vfs/usr/lib/R/library/base/DESCRIPTION": b"Package: base\nVersion: 4.6.0\nPriority: base\n",
}


def sri(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def make_tgz(path: Path, files: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> Path:
    """A tarball shaped like npm's: package/..., with dist under package/dist/."""
    with tarfile.open(path, "w:gz") as tf:
        entries = {"package/package.json": b'{"name": "webr"}', "package/README.md": b"hi"}
        entries.update({f"package/dist/{k}": v for k, v in files.items()})
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
        for info in extra:
            tf.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return path


def evil_file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 1
    return info


def symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


@pytest.fixture
def good_tgz(tmp_path: Path) -> Path:
    return make_tgz(tmp_path / "webr-0.6.0.tgz", FAKE_DIST)


@pytest.fixture
def lock(good_tgz: Path) -> RuntimeLock:
    return RuntimeLock("webr", "0.6.0", sri(good_tgz))


@pytest.fixture
def installed(tmp_path: Path, good_tgz: Path, lock: RuntimeLock) -> Path:
    dest = tmp_path / "wasm" / "dist"
    unpack_dist(good_tgz, dest)
    write_manifest(dest, lock)
    return dest


# ---------------------------------------------------------------- lock + integrity


def test_lock_load_and_spec(tmp_path: Path) -> None:
    path = tmp_path / "lock.json"
    path.write_text(json.dumps({"package": "webr", "version": "0.6.0", "integrity": "sha512-x"}))
    lock = RuntimeLock.load(path)
    assert lock.spec == "webr@0.6.0"
    path.write_text("{}")
    with pytest.raises(RuntimeAssetError):
        RuntimeLock.load(path)


def test_real_lock_loads_by_default() -> None:
    assert RuntimeLock.load().spec == "webr@0.6.0"


def test_verify_integrity_accepts_correct(good_tgz: Path) -> None:
    verify_integrity(good_tgz, sri(good_tgz))


def test_verify_integrity_rejects_tampered(good_tgz: Path) -> None:
    expected = sri(good_tgz)
    data = bytearray(good_tgz.read_bytes())
    data[len(data) // 2] ^= 0x01
    good_tgz.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as exc:
        verify_integrity(good_tgz, expected)
    assert expected in str(exc.value) and sri(good_tgz) in str(exc.value)


@pytest.mark.parametrize(
    "integrity",
    ["sha1-" + base64.b64encode(b"x" * 20).decode(), "sha256-abc", "deadbeef", "", "sha512-!!"],
)
def test_verify_integrity_rejects_other_algorithms(good_tgz: Path, integrity: str) -> None:
    with pytest.raises(IntegrityError):
        verify_integrity(good_tgz, integrity)


def test_real_tarball_matches_real_lock(real_tgz: Path) -> None:
    verify_integrity(real_tgz, RuntimeLock.load(REAL_LOCK).integrity)


def test_real_tarball_installs(tmp_path: Path, real_tgz: Path) -> None:
    lock = RuntimeLock.load(REAL_LOCK)
    unpack_dist(real_tgz, tmp_path / "dist")
    info = write_manifest(tmp_path / "dist", lock)
    assert info.r_version.startswith("4.")
    assert check_runtime(tmp_path / "dist", lock, deep=True) == info


# ---------------------------------------------------------------- unpacking


def test_unpack_extracts_only_dist(tmp_path: Path, good_tgz: Path) -> None:
    dest = tmp_path / "out" / "dist"
    unpack_dist(good_tgz, dest)
    found = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    assert found == set(FAKE_DIST)
    assert (dest / "R.wasm").read_bytes() == FAKE_DIST["R.wasm"]
    assert [p.name for p in dest.parent.iterdir()] == ["dist"]  # no temp dirs left


def test_unpack_replaces_existing_dest(tmp_path: Path, good_tgz: Path) -> None:
    dest = tmp_path / "dist"
    dest.mkdir()
    (dest / "stale.js").write_text("old")
    unpack_dist(good_tgz, dest)
    assert not (dest / "stale.js").exists() and (dest / "webr.js").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "webr-0.6.0.tgz"]


@pytest.mark.parametrize(
    "bad",
    [
        evil_file("package/dist/../../evil"),
        evil_file("/tmp/webr-desktop-evil-absolute"),
        symlink("package/dist/link", "/etc/passwd"),
        symlink("package/other-link", "dist/webr.js"),
    ],
    ids=["dotdot", "absolute", "symlink", "symlink-outside-dist"],
)
def test_unpack_refuses_unsafe_members(tmp_path: Path, bad: tarfile.TarInfo) -> None:
    tgz = make_tgz(tmp_path / "bad.tgz", FAKE_DIST, [bad])
    dest = tmp_path / "area" / "dist"
    dest.mkdir(parents=True)
    (dest / "webr.js").write_text("good copy")
    with pytest.raises(RuntimeAssetError):
        unpack_dist(tgz, dest)
    assert [p.name for p in dest.iterdir()] == ["webr.js"]
    assert (dest / "webr.js").read_text() == "good copy"
    assert [p.name for p in dest.parent.iterdir()] == ["dist"]
    assert not (tmp_path / "evil").exists() and not (tmp_path / "area" / "evil").exists()
    assert not Path("/tmp/webr-desktop-evil-absolute").exists()


def test_unpack_refuses_tarball_without_dist(tmp_path: Path) -> None:
    tgz = make_tgz(tmp_path / "empty.tgz", {})
    with pytest.raises(RuntimeAssetError, match="no package/dist"):
        unpack_dist(tgz, tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


# ---------------------------------------------------------------- manifest + check


def test_manifest_round_trip(installed: Path, lock: RuntimeLock) -> None:
    manifest = json.loads((installed / ra.MANIFEST_NAME).read_text())
    assert manifest["version"] == "0.6.0" and manifest["r_version"] == "4.6.0"
    size, digest = manifest["files"]["R.wasm"]
    assert size == len(FAKE_DIST["R.wasm"])
    assert digest == hashlib.sha256(FAKE_DIST["R.wasm"]).hexdigest()
    for deep in (False, True):
        info = check_runtime(installed, lock, deep=deep)
        assert (info.path, info.webr_version, info.r_version) == (installed, "0.6.0", "4.6.0")


def test_r_version_falls_back_to_wasm(tmp_path: Path, lock: RuntimeLock) -> None:
    files = {k: v for k, v in FAKE_DIST.items() if "DESCRIPTION" not in k}
    files["R.wasm"] = b"\0asm" + b"x" * (1 << 20) + b"Package: base\nVersion: 4.5.1\nTitle: x"
    dest = tmp_path / "dist"
    unpack_dist(make_tgz(tmp_path / "w.tgz", files), dest)
    assert write_manifest(dest, lock).r_version == "4.5.1"


def assert_fix_message(exc: pytest.ExceptionInfo[RuntimeAssetError]) -> None:
    assert FIX_COMMAND in str(exc.value) and "webr-desktop fetch-runtime" in str(exc.value)


def test_truncated_file_is_corrupt(installed: Path, lock: RuntimeLock) -> None:
    (installed / "R.wasm").write_bytes(FAKE_DIST["R.wasm"][:10])
    with pytest.raises(RuntimeCorrupt) as exc:
        check_runtime(installed, lock)
    assert_fix_message(exc)
    assert "R.wasm" in str(exc.value)


def test_deleted_file_is_corrupt(installed: Path, lock: RuntimeLock) -> None:
    (installed / "vfs/usr/lib/R/library/base/DESCRIPTION").unlink()
    with pytest.raises(RuntimeCorrupt) as exc:
        check_runtime(installed, lock)
    assert_fix_message(exc)


def test_same_size_change_needs_deep_check(installed: Path, lock: RuntimeLock) -> None:
    data = bytearray((installed / "R.wasm").read_bytes())
    data[100] ^= 0xFF
    (installed / "R.wasm").write_bytes(bytes(data))
    check_runtime(installed, lock, deep=False)
    with pytest.raises(RuntimeCorrupt) as exc:
        check_runtime(installed, lock, deep=True)
    assert_fix_message(exc)


def test_missing_dir_and_manifest(tmp_path: Path, installed: Path, lock: RuntimeLock) -> None:
    with pytest.raises(RuntimeMissing) as exc:
        check_runtime(tmp_path / "nowhere", lock)
    assert_fix_message(exc)
    (installed / ra.MANIFEST_NAME).unlink()
    with pytest.raises(RuntimeMissing):
        check_runtime(installed, lock)


def test_version_mismatch_is_corrupt(installed: Path, lock: RuntimeLock) -> None:
    newer = RuntimeLock(lock.package, "0.7.0", lock.integrity)
    with pytest.raises(RuntimeCorrupt) as exc:
        check_runtime(installed, newer)
    assert_fix_message(exc)
    assert "0.7.0" in str(exc.value)


def test_unreadable_manifest_is_corrupt(installed: Path, lock: RuntimeLock) -> None:
    (installed / ra.MANIFEST_NAME).write_text("{not json")
    with pytest.raises(RuntimeCorrupt):
        check_runtime(installed, lock)


def test_default_dest_follows_env_override(
    installed: Path, lock: RuntimeLock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBR_DESKTOP_RUNTIME", str(installed))
    assert check_runtime(lock=lock).path == installed


# ---------------------------------------------------------------- fetch with a fake npm

FAKE_NPM = """#!{python}
import json, shutil, sys
from pathlib import Path
args = sys.argv[1:]
with open({log!r}, "a") as fh:
    fh.write(json.dumps(args) + "\\n")
if {fail!r}:
    sys.stderr.write("npm error code E404\\nnpm error 404 Not Found - webr@0.6.0\\n")
    sys.exit(1)
dest = Path(args[args.index("--pack-destination") + 1])
shutil.copy({tgz!r}, dest / "webr-0.6.0.tgz")
print(json.dumps([{{"id": "webr@0.6.0", "filename": "webr-0.6.0.tgz"}}], indent=2))
"""


def make_npm(tmp_path: Path, tgz: Path, *, fail: bool = False) -> tuple[str, Path]:
    log = tmp_path / "npm-calls.log"
    script = tmp_path / "fake-npm"
    script.write_text(
        FAKE_NPM.format(python=sys.executable, log=str(log), fail=fail, tgz=str(tgz))
    )
    script.chmod(0o755)
    return str(script), log


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


pytestmark_posix = pytest.mark.skipif(sys.platform == "win32", reason="fake npm is a script")


@pytestmark_posix
def test_fetch_installs_then_skips(tmp_path: Path, good_tgz: Path, lock: RuntimeLock) -> None:
    npm, log = make_npm(tmp_path, good_tgz)
    dest = tmp_path / "wasm" / "dist"
    messages: list[str] = []
    info = fetch_runtime(dest, lock, npm=npm, log=messages.append)
    assert (info.path, info.webr_version, info.r_version) == (dest, "0.6.0", "4.6.0")
    assert check_runtime(dest, lock, deep=True) == info
    [args] = calls(log)
    assert args[:2] == ["pack", "webr@0.6.0"] and "--json" in args
    assert not Path(args[args.index("--pack-destination") + 1]).exists()  # temp dir cleaned

    again = fetch_runtime(dest, lock, npm=npm, log=messages.append)
    assert again == info and len(calls(log)) == 1
    fetch_runtime(dest, lock, npm=npm, force=True, log=messages.append)
    assert len(calls(log)) == 2


@pytestmark_posix
def test_fetch_repairs_damaged_runtime(tmp_path: Path, good_tgz: Path, lock: RuntimeLock) -> None:
    npm, log = make_npm(tmp_path, good_tgz)
    dest = tmp_path / "dist"
    fetch_runtime(dest, lock, npm=npm, log=lambda _: None)
    (dest / "webr.js").write_bytes(b"X" * len(FAKE_DIST["webr.js"]))  # same size: deep only
    fetch_runtime(dest, lock, npm=npm, log=lambda _: None)
    assert len(calls(log)) == 2 and (dest / "webr.js").read_bytes() == FAKE_DIST["webr.js"]


@pytestmark_posix
def test_fetch_integrity_mismatch_installs_nothing(tmp_path: Path, lock: RuntimeLock) -> None:
    other = make_tgz(tmp_path / "other.tgz", {**FAKE_DIST, "webr.js": b"tampered"})
    npm, _ = make_npm(tmp_path, other)
    dest = tmp_path / "wasm" / "dist"
    with pytest.raises(IntegrityError):
        fetch_runtime(dest, lock, npm=npm, log=lambda _: None)
    assert not dest.exists()
    assert not (dest.parent.exists() and any(dest.parent.iterdir()))


@pytestmark_posix
def test_fetch_reports_npm_failure(tmp_path: Path, good_tgz: Path, lock: RuntimeLock) -> None:
    npm, _ = make_npm(tmp_path, good_tgz, fail=True)
    with pytest.raises(RuntimeAssetError) as exc:
        fetch_runtime(tmp_path / "dist", lock, npm=npm, log=lambda _: None)
    assert "E404" in str(exc.value) and "404 Not Found" in str(exc.value)
    assert not isinstance(exc.value, (IntegrityError, RuntimeMissing, RuntimeCorrupt))


def test_fetch_without_npm_says_node_is_needed(tmp_path: Path, lock: RuntimeLock) -> None:
    with pytest.raises(RuntimeAssetError, match="Node.js"):
        fetch_runtime(tmp_path / "dist", lock, npm=str(tmp_path / "no-such-npm"), log=print)
