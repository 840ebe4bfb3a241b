"""DriveFS: every protocol method round-trips on a temp folder, and hostile requests sent over
real HTTP to ``/api/drive`` are refused with a 4xx while the file system stays untouched."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from webr_desktop.server.drive import DIR_MODE, FILE_MODE, DriveFS
from webr_desktop.server.local_server import LocalServer

SECRET = "drive-test-secret"
OUTSIDE = b"TOP-SECRET-OUTSIDE"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"hello\n")
    (root / "sub" / "b.bin").write_bytes(bytes(range(256)))
    (root / "é.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (tmp_path / "outside.txt").write_bytes(OUTSIDE)
    (tmp_path / "outdir").mkdir()
    (root / "out.txt").symlink_to(tmp_path / "outside.txt")
    (root / "outdir").symlink_to(tmp_path / "outdir", target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "not-yet")
    (root / "in.txt").symlink_to(root / "a.txt")
    return root


@pytest.fixture
def drives(tree: Path) -> DriveFS:
    fs = DriveFS()
    assert fs.add(tree) == "d1"
    return fs


@pytest.fixture
def server(tree: Path) -> Iterator[LocalServer]:
    srv = LocalServer(SECRET)  # its own DriveFS, on its own routes, as the app runs it
    assert srv.drives.add(tree) == "d1"
    srv.start()
    yield srv
    srv.close()


def call(fs: DriveFS, method: str, path: object, data: object = None) -> tuple[int, object]:
    """One request through the handler, as webR's client sends it; the reply decoded."""
    req: dict = {"method": method, "path": path}
    if data is not None:
        req["data"] = data
    status, ctype, body = fs.handle(json.dumps({"data": req, "browsingContextId": SECRET}).encode(), {})
    if ctype == "application/octet-stream":
        return status, body
    assert ctype == "application/json"
    return status, json.loads(body)  # every reply parses, errors included


def snapshot(base: Path) -> dict[str, bytes | str]:
    """Every entry under ``base`` (links not followed) with its bytes or link target."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(base))
            if p.is_symlink():
                out[rel] = "->" + os.readlink(p)
            elif p.is_file():
                out[rel] = p.read_bytes()
            else:
                out[rel] = "dir"
    return out


# -- registry ---------------------------------------------------------------------------
def test_add_is_idempotent_and_remove_stops_serving(tree: Path, tmp_path: Path) -> None:
    fs = DriveFS()
    name = fs.add(tree)
    assert fs.add(tree / "sub" / "..") == name
    other = fs.add(tmp_path / "outdir")
    assert other != name
    assert fs.roots() == {name: tree.resolve(), other: (tmp_path / "outdir").resolve()}
    fs.remove(name)
    assert call(fs, "lookup", f"{name}:/a.txt")[0] == 404
    with pytest.raises(NotADirectoryError):
        fs.add(tree / "a.txt")


# -- protocol round trips -----------------------------------------------------------------
def test_lookup_getmode_readdir(drives: DriveFS) -> None:
    assert call(drives, "lookup", "d1:/a.txt") == (200, {"ok": True, "mode": FILE_MODE})
    assert call(drives, "lookup", "d1:/sub") == (200, {"ok": True, "mode": DIR_MODE})
    assert call(drives, "lookup", "d1:/nope") == (200, {"ok": False})
    assert call(drives, "lookup", "d1:/in.txt") == (200, {"ok": True, "mode": FILE_MODE})
    assert call(drives, "getmode", "d1:") == (200, DIR_MODE)
    assert call(drives, "getmode", "d1:/a.txt") == (200, FILE_MODE)
    assert call(drives, "getmode", "d1:/nope")[0] == 404
    status, names = call(drives, "readdir", "d1:")
    assert status == 200
    # links out of the root and dangling links are not part of the drive
    assert sorted(names) == sorted(["a.txt", "sub", "é.csv", "in.txt"])
    assert call(drives, "readdir", "d1:/sub") == (200, ["b.bin"])


def test_get_put_binary_and_text(drives: DriveFS, tree: Path) -> None:
    status, reply = call(drives, "get", "d1:/sub/b.bin")
    assert status == 200 and reply["format"] == "base64"
    assert base64.b64decode(reply["content"]) == bytes(range(256))
    assert call(drives, "get", "d1:/sub/b.bin", {"format": "raw"}) == (200, bytes(range(256)))
    assert call(drives, "get", "d1:/nope") == (200, None)
    assert call(drives, "get", "d1:/sub") == (200, None)
    data = os.urandom(100_000)
    assert call(drives, "put", "d1:/sub/new.bin", {"format": "base64", "data": base64.b64encode(data).decode()}) == (200, None)
    assert (tree / "sub" / "new.bin").read_bytes() == data
    assert call(drives, "put", "d1:/t.txt", {"format": "text", "data": "é\n"}) == (200, None)
    assert (tree / "t.txt").read_bytes() == "é\n".encode()
    assert call(drives, "put", "d1:/in.txt", {"format": "text", "data": "via link"}) == (200, None)
    assert (tree / "a.txt").read_text() == "via link" and (tree / "in.txt").is_symlink()


def test_mknod_rename_rmdir_getattr(drives: DriveFS, tree: Path) -> None:
    assert call(drives, "mknod", "d1:/newdir", {"mode": 0o040777}) == (200, None)
    assert (tree / "newdir").is_dir()
    assert call(drives, "mknod", "d1:/newdir/f.txt", {"mode": 0o100666}) == (200, None)
    assert (tree / "newdir" / "f.txt").read_bytes() == b""
    (tree / "newdir" / "f.txt").write_bytes(b"keep")
    assert call(drives, "mknod", "d1:/newdir/f.txt", {"mode": 0o100666}) == (200, None)
    assert (tree / "newdir" / "f.txt").read_bytes() == b"keep"  # never truncated
    assert call(drives, "rename", "d1:/a.txt", {"newPath": "d1:/newdir/f.txt"}) == (200, None)
    assert (tree / "newdir" / "f.txt").read_bytes() == b"hello\n" and not (tree / "a.txt").exists()
    assert call(drives, "rename", "d1:/newdir", {"newPath": "d1:/ünï"}) == (200, None)
    assert (tree / "ünï" / "f.txt").exists()
    assert 400 <= call(drives, "rmdir", "d1:/ünï")[0] < 500  # not empty
    assert call(drives, "rmdir", "d1:/ünï/f.txt") == (200, None)  # rmdir also removes files
    assert call(drives, "rmdir", "d1:/ünï") == (200, None)
    assert not (tree / "ünï").exists()
    assert call(drives, "rmdir", "d1:/in.txt") == (200, None)  # the link, not its target
    assert not (tree / "in.txt").exists()
    status, attr = call(drives, "getattr", "d1:/é.csv")
    assert status == 200 and attr["size"] == 8 and attr["mtime"] > 0 and attr["blksize"] == 4096
    assert call(drives, "getattr", "d1:/nope")[0] == 404


# -- hostile requests over HTTP ---------------------------------------------------------------
def post(srv: LocalServer, payload: bytes, header: str | None = SECRET) -> tuple[int, str, bytes]:
    """POST to /api/drive with the secret in the header (as our worker patch sends it), or
    with ``header=None`` in the JSON body only (the stock client)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-WD-Secret"] = header
    try:
        conn.request("POST", "/api/drive", body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.headers["Content-Type"], resp.read()
    finally:
        conn.close()


def body(method: str, path: object, data: object = None, secret: object = SECRET) -> bytes:
    req: dict = {"method": method, "path": path}
    if data is not None:
        req["data"] = data
    return json.dumps({"data": req, "browsingContextId": secret}).encode()


PUT = {"format": "base64", "data": base64.b64encode(b"pwned").decode()}
HOSTILE: list[tuple[str, bytes]] = [
    ("traversal", body("get", "d1:/../outside.txt")),
    ("deep traversal", body("get", "d1:/../../../../etc/passwd")),
    ("traversal mid-path", body("get", "d1:/sub/../../outside.txt")),
    ("dot part", body("get", "d1:/./a.txt")),
    ("put traversal", body("put", "d1:/../pwned.txt", PUT)),
    ("mknod traversal", body("mknod", "d1:/../pwndir", {"mode": 0o040777})),
    ("symlink read", body("get", "d1:/out.txt")),
    ("symlink lookup", body("getattr", "d1:/out.txt")),
    ("symlink write", body("put", "d1:/out.txt", PUT)),
    ("dangling symlink write", body("put", "d1:/dangling", PUT)),
    ("symlinked dir write", body("put", "d1:/outdir/x.txt", PUT)),
    ("symlinked dir mknod", body("mknod", "d1:/outdir/x", {"mode": 0o040777})),
    ("symlinked dir readdir", body("readdir", "d1:/outdir")),
    ("rename target outside", body("rename", "d1:/a.txt", {"newPath": "d1:/../moved.txt"})),
    ("rename target via link", body("rename", "d1:/a.txt", {"newPath": "d1:/outdir/moved.txt"})),
    ("rename onto outside link", body("rename", "d1:/a.txt", {"newPath": "d1:/out.txt"})),
    ("rename to other drive", body("rename", "d1:/a.txt", {"newPath": "zz:/a.txt"})),
    ("rename source outside", body("rename", "d1:/../outside.txt", {"newPath": "d1:/stolen.txt"})),
    ("rename the root", body("rename", "d1:", {"newPath": "d1:/x"})),
    ("rmdir the root", body("rmdir", "d1:")),
    ("rmdir outside", body("rmdir", "d1:/../outside.txt")),
    ("absolute path", body("get", "/etc/passwd")),
    ("absolute after drive", body("get", "d1:/etc/passwd/../../../etc/passwd")),
    ("no slash after drive", body("get", "d1:a.txt")),
    ("windows path", body("get", "d1:C:\\Windows\\win.ini")),
    ("backslash traversal", body("get", "d1:/..\\outside.txt")),
    ("nul byte", body("put", "d1:/a.txt\x00.png", PUT)),
    ("unknown drive", body("get", "nope:/a.txt")),
    ("empty drive", body("get", ":/a.txt")),
    ("non-string path", body("get", ["d1:/a.txt"])),
    ("numeric path", body("get", 7)),
    ("huge path", body("get", "d1:/" + "a" * (1 << 20))),
    ("lone surrogate", b'{"data":{"method":"put","path":"d1:/\\ud800","data":{"format":"text","data":"x"}},"browsingContextId":"' + SECRET.encode() + b'"}'),
    ("missing data", json.dumps({"browsingContextId": SECRET}).encode()),
    ("data not an object", json.dumps({"data": "get", "browsingContextId": SECRET}).encode()),
    ("unknown method", body("chmod", "d1:/a.txt")),
    ("private method", body("_locate", "d1:/a.txt")),
    ("non-string method", body(None, "d1:/a.txt")),
    ("put bad base64", body("put", "d1:/a.txt", {"format": "base64", "data": "@@not base64@@"})),
    ("put bad format", body("put", "d1:/a.txt", {"format": "exe", "data": "x"})),
    ("put non-string data", body("put", "d1:/a.txt", {"format": "text", "data": 5})),
    ("mknod bad mode", body("mknod", "d1:/m", {"mode": "dir"})),
    ("rename bad newPath", body("rename", "d1:/a.txt", {"newPath": None})),
    ("bad JSON", b'{"data": {"method": "get", '),
    ("JSON array", json.dumps([{"data": {"method": "get", "path": "d1:/a.txt"}}]).encode()),
    ("missing secret", json.dumps({"data": {"method": "get", "path": "d1:/a.txt"}}).encode()),
    ("wrong secret", body("get", "d1:/a.txt", secret="guess")),
    ("non-string secret", body("get", "d1:/a.txt", secret=1)),
]
NO_HEADER = {"missing secret", "wrong secret", "non-string secret"}  # the body secret alone decides


@pytest.mark.parametrize(("name", "payload"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_request_is_refused(server: LocalServer, tree: Path, name: str, payload: bytes) -> None:
    base = tree.parent
    before = snapshot(base)
    status, ctype, reply = post(server, payload, None if name in NO_HEADER else SECRET)
    assert 400 <= status < 500, (name, status, reply)
    if ctype == "application/json":
        assert "error" in json.loads(reply)
    else:  # refused by LocalServer's secret check before the handler ran
        assert (status, reply) == (403, b"forbidden")
    assert snapshot(base) == before
    assert (base / "outside.txt").read_bytes() == OUTSIDE
    assert OUTSIDE not in reply


def test_encoded_traversal_stays_inside(server: LocalServer, tree: Path) -> None:
    """Percent- or unicode-encoded dots are plain names inside the root, never a way out."""
    before = snapshot(tree.parent)
    for path in ("d1:/%2e%2e/outside.txt", "d1:/..%2foutside.txt", "d1:/\u2024\u2024/outside.txt", "d1:/\uff0e\uff0e/outside.txt"):
        status, _, reply = post(server, body("get", path))
        assert (status, json.loads(reply)) == (200, None), path
        status, _, reply = post(server, body("lookup", path))
        assert (status, json.loads(reply)) == (200, {"ok": False}), path
    assert snapshot(tree.parent) == before


def test_http_round_trip_large_file(server: LocalServer, tree: Path) -> None:
    data = os.urandom(1 << 20)
    status, _, reply = post(server, body("put", "d1:/big.bin", {"format": "base64", "data": base64.b64encode(data).decode()}))
    assert (status, json.loads(reply)) == (200, None)
    status, ctype, reply = post(server, body("get", "d1:/big.bin"))
    assert status == 200 and ctype == "application/json"
    assert hashlib.sha256(base64.b64decode(json.loads(reply)["content"])).digest() == hashlib.sha256(data).digest()
    status, ctype, reply = post(server, body("get", "d1:/big.bin", {"format": "raw"}))
    assert (status, ctype, reply) == (200, "application/octet-stream", data)
